"""The leaderboard: records of verified runs -> the README table and the self-contained page.

``record`` (the ``Record`` type, read and written as checked data), ``derive`` (records from
verified runs and from the generators), ``stats`` (every number, with bootstrap intervals),
``columns`` (the board's columns), ``readme`` and ``page`` (rendered from ``templates/``),
``build`` (the rebuild), ``submit`` and ``cli`` (the commands).
"""
