"""Rumelhart, Hinton & Williams (1986), "Learning representations by back-propagating
errors", Nature 323:533-536 (claims: ``reproductions/rhw1986_nature.yaml``).

- ``tasks``         mirror symmetry and Hinton's family trees, as data
- ``symmetry``      the mirror-symmetry network's training (shared with the PDP chapter's Fig. 9 page)
- ``family_trees``  the family-trees network (two input groups, a margin on the error) and its training loop
"""
