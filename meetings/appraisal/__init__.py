"""Democratic appraisal (民主评议): members rate each other and the public and members
rate each leadership team, online in a branch's voting window or on paper counted by
two tellers. See ``models`` for what is stored and what is never stored."""
