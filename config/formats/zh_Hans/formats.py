"""Simplified Chinese number format for Canvass: the offices write 11,047 (thousands,
a comma), as on their paper ledgers, not Django's default for zh-hans (groups of four,
no separator). Every other format falls through to Django's own zh_Hans module."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
