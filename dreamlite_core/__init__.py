"""dreamlite_core: the tested package behind the DreamLite companion notebooks.

DreamLite (arXiv 2603.28713) is a 0.39B U-Net that generates and edits images in one network. This package holds
the paper's facts (``paper``), the reproducibility machinery (``repro``), paper-scale architecture accounting
(``arch``), the ShapesWorld data world (``world``), its mini benchmarks (``eval``), DreamLite-Nano (``nano``), its
training (``train``) and Core ML export (``export``). Each notebook in ``notebooks/`` narrates one of them.
"""

__version__ = "0.1.0"
