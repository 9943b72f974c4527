"""Rumelhart, Hinton & Williams (1986), "Learning internal representations by error
propagation", PDP vol. 1, ch. 8 (claims: ``reproductions/rhw1986_pdp.yaml``).

- ``tasks``  the chapter's training sets: XOR, parity, the encoder, binary addition, negation
"""
