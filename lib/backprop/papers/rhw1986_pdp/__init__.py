"""Rumelhart, Hinton & Williams (1986), "Learning internal representations by error
propagation", PDP vol. 1, ch. 8 (claims: ``reproductions/rhw1986_pdp.yaml``).

- ``tasks``         the chapter's training sets: XOR, parity, the encoders, binary addition, negation
- ``hidden_units``  tests of what hidden units compute (gated XORs, distinct activation levels)
- ``tc``            the T-C problem: the task set, a network with weights tied across 3x3 receptive fields
- ``sequences``     the recurrent-nets section: sequences, a shift register, and training through time
"""
