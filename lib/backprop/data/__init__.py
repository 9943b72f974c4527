"""Data sets the book trains on, and where their files are found.

- ``cache``            finding a data file: ``$BACKPROP_DATA``, the shared folder beside
                       the checkout, the user cache, or a download checked by its checksum
- ``usps``             the USPS zip-code digits of LeCun et al. (1989)
- ``nettalk``          the NETtalk corpus of Sejnowski & Rosenberg (1987)
- ``cmudict_aligned``  letter-aligned pronunciations from the CMU dictionary

The loaders are imported by name (``from backprop.data import usps``), so that
one data set's optional dependencies (h5py for USPS) are needed only for it.
"""

from .cache import DataFile, DataFileError, DataFileMissing, locate, search_path, verify

__all__ = ["DataFile", "DataFileError", "DataFileMissing", "locate", "search_path", "verify"]
