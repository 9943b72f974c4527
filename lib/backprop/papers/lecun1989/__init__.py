"""LeCun et al. (1989), "Backpropagation applied to handwritten zip code recognition",
Neural Computation 1:541-551 (claims: ``reproductions/lecun1989.yaml``).

- ``usps``   the USPS digits (a data file), at the paper's 16x16 and in [-1, 1]
- ``lenet``  the 1989 network: its layers, forward and backward, curvature, training
- ``steps``  the step sizes the book trains with, and the candidates they are chosen from
"""
