"""No chart or table of the dashboards shows a group of opinions smaller than the feedback
threshold k (docs/privacy.md): in a small unit, "one opinion by hotline on 3 April" may
name its giver. A group below k is withheld (None: "fewer than k"), and when exactly one
group of a series is withheld, the next smallest is withheld with it, so that it cannot
be worked out from the total shown beside them (a group with none counts as the next
smallest too, so that which of the two holds the few is not told either).
"""

from __future__ import annotations

from collections.abc import Mapping


def withhold_small(values: Mapping[str, int], k: int) -> dict[str, int | None]:
    if k <= 1:
        return dict(values)
    small = {key for key, value in values.items() if 0 < value < k}
    if len(small) == 1:
        rest = sorted((value, key) for key, value in values.items() if key not in small)
        if rest:
            small.add(rest[0][1])
    return {key: (None if key in small else value) for key, value in values.items()}
