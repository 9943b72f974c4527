"""Pomerleau (1989), "ALVINN: An autonomous land vehicle in a neural network", NIPS 1,
pp. 305-313 (claims: ``reproductions/pomerleau1989.yaml``).

- ``roads``   a road-image simulator of our own (not Pomerleau's) at the paper's 30x32 retina
- ``alvinn``  the paper's network (video retina + intensity feedback -> 29 hidden -> 45 + 1),
              its "hill" of steering targets, training, steering error and a measure of edge detectors
"""
