"""Wan (1993), "Time series prediction by using a connectionist network with internal delay
lines", in Weigend & Gershenfeld (eds.), *Time Series Prediction* (claims:
``reproductions/wan1993.yaml``).

- ``laser``    the Santa Fe competition's data set A (the far-infrared laser), read from the
               copy inside the installed ``reservoirpy`` wheel; the competition's split
- ``predict``  the 1-12-12-1 FIR network with 25, 5 and 5 taps (``backprop.fir``), its
               training on one-step prediction and the iterated 100-step forecast
"""
