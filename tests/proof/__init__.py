"""The proof suite (``make proof``): every test here is marked ``proof`` and left out of
``make test``; each prints the figures it proves."""
