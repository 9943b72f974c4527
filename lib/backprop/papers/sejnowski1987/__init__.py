"""Sejnowski & Rosenberg (1987), "Parallel networks that learn to pronounce English
text", Complex Systems 1 (claims: ``reproductions/sejnowski1987.yaml``).

- ``dictionary``       the NETtalk dictionary and Fahlman's 1000-word list (a data file)
- ``cmudict_aligned``  CMUdict aligned letter to phoneme by EM, where the NETtalk files are absent
- ``nettalk``          the window encoding, the articulatory output code, the network's training
- ``speech``           hearing the output through espeak-ng (a teaching tool, optional)
"""
