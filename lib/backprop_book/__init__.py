"""backprop_book: the machinery that runs and publishes the book.

It imports the library (:mod:`backprop`); the library never imports it.

- ``notebook``    what a notebook calls: its parameters (``setup``) and its metrics (``record``)
- ``runner``      papermill execution with a cache that knows the library's source
- ``build``       ``backprop book``: every notebook, then Jupyter Book
- ``claims``      published claims as data (``reproductions/*.yaml``) and their rules
- ``records``     run records of full-scale reproductions
- ``reproduce``   ``backprop reproduce`` and the scoreboard
- ``cli``         the ``backprop`` command
- ``timing``      CPU-time clocks and interleaved rounds for honest timings
- ``plotting``    the book's figure style and small figure helpers
- ``graph_draw``  drawings of a computation graph and its adjoint
"""
