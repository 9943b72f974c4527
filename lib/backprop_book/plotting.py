"""Small figure helpers for the notebooks (teaching tools: outside the core).

They read only public fields (arrays, histories), never the library's internals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

STYLE = Path(__file__).with_name("book.mplstyle")


def use_style() -> None:
    """Use the book's figure style (colour-blind-safe colours, white background)."""
    import matplotlib.pyplot as plt

    plt.style.use(STYLE)


def grid(xlim=(-0.25, 1.25), ylim=(-0.25, 1.25), n: int = 121):
    """A square grid of 2-D points as columns ``(2, n*n)`` and the mesh to draw it on."""
    gx, gy = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    return np.stack([gx.ravel(), gy.ravel()]), (gx, gy)


def surface(ax, mesh, values, label: str, levels=(0.5,), vmin=0.0, vmax=1.0):
    """Draw ``values`` (one per grid point) as a filled map with contour lines at ``levels``."""
    gx, gy = mesh
    v = np.asarray(values).reshape(gx.shape)
    image = ax.pcolormesh(gx, gy, v, vmin=vmin, vmax=vmax, shading="auto")
    ax.contour(gx, gy, v, levels=list(levels), colors="k", linewidths=1)
    ax.set_aspect("equal")
    ax.figure.colorbar(image, ax=ax, label=label, shrink=0.8)
    return image
