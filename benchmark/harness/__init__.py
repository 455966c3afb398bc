"""The lm-eval side: the loader lm-eval calls (``tasks``), the YAML writer (``taskgen``), the results table (``report``)."""
