"""Tesauro (1992), "Practical issues in temporal difference learning", and TD-Gammon
(claims: ``reproductions/tesauro1992.yaml``): backgammon, benchmark opponents, self-play.

Where things live:

- ``game``      positions, dice, legal moves, the end of a game and what it is worth
                (GNU Backgammon's engine through the PyPI package ``gnubg-nn``, GPL-2)
- ``encoding``  Tesauro's raw 198-unit input and the outcome the network predicts
- ``players``   random, pubeval, GNU Backgammon 0-ply, and our network
- ``match``     N cubeless games between two players, with confidence intervals
- ``selfplay``  TD(lambda) self-play training with checkpoints

``gnubg-nn`` is imported on first use (``game.gnubg()``), with an install hint if it
is missing; importing this package needs only numpy.
"""
