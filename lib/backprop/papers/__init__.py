"""One package per reproduced paper, named by the stem of its claims file.

==================  ==================================================================
``rhw1986_pdp``     Rumelhart, Hinton & Williams, PDP vol. 1, ch. 8: the chapter's task sets
``rhw1986_nature``  Rumelhart, Hinton & Williams, Nature 323: mirror symmetry, family trees
``sejnowski1987``   Sejnowski & Rosenberg, NETtalk: the dictionary, the codes, the network
``lecun1989``       LeCun et al., zip codes: the USPS digits and the 1989 network
``tesauro1992``     Tesauro, TD-Gammon: backgammon, players, self-play
``kelley1960``      Kelley, Bryson, Dreyfus: Zermelo's boat, the costate and the discrete adjoint
``pomerleau1989``   Pomerleau, ALVINN: our road simulator, the 961-29-46 network
``wan1993``         Wan, Santa Fe laser: the data set A, the FIR network
``pai2023``         Pai et al., Science 380: a Mach-Zehnder mesh, gradients measured in situ
==================  ==================================================================

Each package uses the core (:mod:`backprop`) and nothing of the book machinery.
"""
