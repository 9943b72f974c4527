"""The step sizes the book trains LeCun's network with, and the candidates they are chosen from.

The 1989 paper gives no constants for its diagonal Levenberg-Marquardt steps
``eta_k = EPSILON / (MU + h_kk)`` (:mod:`backprop.diag_lm`). ``MU`` is from LeCun
et al. (1998); ``GAMMA`` makes ``h`` a running average over about the last 500
examples. ``EPSILON`` and plain SGD's ``SGD_ETA`` are the candidates the book's
run uses; ``notebooks/lecun1989_step_sizes.md`` scores every candidate on a held-out
``HOLDOUT_FRACTION`` of the training digits (the test set chooses nothing).
Both notebooks import these names, so the value trained with and the value the
sweep checks are one and the same.

Non-goals: the sweep itself (the notebook runs it with :func:`lenet.fit`).
"""

EPSILON_CANDIDATES = (1.25e-4, 2.5e-4, 5e-4, 1e-3)  # diagonal LM: the global step epsilon
EPSILON = 2.5e-4  # the one the book trains with
MU = 0.02  # keeps eta_k finite where the curvature h_kk is near 0 (LeCun et al. 1998)
GAMMA = 1 / 500  # h_kk is a running average over about the last 1 / GAMMA examples

SGD_ETA_CANDIDATES = (0.005, 0.01, 0.02)  # plain SGD: one step size for every weight
SGD_ETA = 0.01  # the one the book's comparison run uses

HOLDOUT_FRACTION = 0.1  # the share of the 7,291 training digits held out to choose between candidates

assert EPSILON in EPSILON_CANDIDATES and SGD_ETA in SGD_ETA_CANDIDATES
