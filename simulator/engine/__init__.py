"""The library entry points of ``sosim run``, ``replay`` and ``receive``: typed config in, outcome out."""
