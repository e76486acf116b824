"""Credit scorecards: the JSON spec (``spec``), plain-Python scoring (``scoring``) and, behind the optional
``risk`` extra, the trainer (``training``). Only ``training`` may import the numeric stack."""
