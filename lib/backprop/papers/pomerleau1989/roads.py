"""A road-image simulator of our own, at ALVINN's retina size (30 rows x 32 columns).

This is **not** Pomerleau's road generator (the paper gives none of its details);
it is a small, documented stand-in with the variations the paper lists: roads of
many positions and orientations relative to the vehicle, under varied lighting,
with noise. Everything below is our choice.

Geometry (metres, vehicle coordinates: ``x`` to the right, ``y`` ahead). The road's
centre line is the parabola

    x_c(y) = d + tan(phi) y + kappa y^2 / 2

(``d`` lateral offset of the road centre, ``phi`` the road's heading relative to the
vehicle, ``kappa`` its curvature); the road is ``width`` wide. A pinhole camera sees
the ground from ``Y_NEAR`` to ``Y_FAR``: row ``r`` (0 at the top, far) looks at the
distance ``y_r`` with ``1/y_r`` linear in the row, column ``c`` at ``x = u_c y_r``
with ``u_c`` in ``[-U_EDGE, U_EDGE]``. A pixel is "road" by the fraction of it that
the road covers (soft edges, one pixel wide).

Intensity: road and off-road levels in ``[0, 1]``; the road is lighter than its
surroundings in half the images (``lighter`` = 1) and darker in the rest, as the
blue band of a real road can be; a left-to-right illumination gradient and
Gaussian pixel noise are added, and the image is clipped to ``[0, 1]``.

The steering target is Pomerleau's: the curvature of the arc that brings the
vehicle to the road centre ``LOOKAHEAD`` = 7 m ahead (pure pursuit through the
point ``(x_c(7), 7)``: ``k = 2 x / (x^2 + y^2)``).

Non-goals: the laser range finder (our roads have no obstacles), real images,
intersections.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROWS, COLS = 30, 32  # the paper's video retina: 30x32 units
Y_NEAR, Y_FAR = 4.0, 20.0  # metres of ground the retina sees (ours)
U_EDGE = 1.0  # half the field of view, as tan(45 degrees) (ours)
LOOKAHEAD = 7.0  # metres: "the road center 7 meters ahead" (the paper, p. 306)
WIDTH_FIXED = 3.5  # metres: the one width of the fixed-width condition (ours)
WIDTH_RANGE = (2.0, 6.0)  # metres: widths of the varying-width condition (ours)


@dataclass(frozen=True)
class Roads:
    """A batch of ``m`` road scenes: images ``(m, 30, 32)`` and what produced them, each ``(m,)``."""

    images: np.ndarray
    d: np.ndarray
    phi: np.ndarray
    kappa: np.ndarray
    width: np.ndarray
    lighter: np.ndarray  # 1.0 where the road is lighter than the non-road, else 0.0

    def __len__(self) -> int:
        return len(self.d)

    def __repr__(self) -> str:
        return f"Roads(m={len(self)}, width {self.width.min():.1f}-{self.width.max():.1f} m)"

    @property
    def curvature(self) -> np.ndarray:
        """The steering target: the curvature (1/m) of the arc to the road centre 7 m ahead."""
        return steering_curvature(self.d, self.phi, self.kappa)


def steering_curvature(d, phi, kappa, lookahead: float = LOOKAHEAD) -> np.ndarray:
    """Pure pursuit: ``k = 2 x / (x^2 + L^2)`` to the point ``x = x_c(L)`` at ``L`` ahead."""
    x = d + np.tan(phi) * lookahead + 0.5 * kappa * lookahead**2
    return 2 * x / (x**2 + lookahead**2)


def ground_grid() -> tuple[np.ndarray, np.ndarray]:
    """The ground point each pixel centre looks at: ``(x, y)``, each ``(30, 32)`` in metres."""
    s = (np.arange(ROWS) + 0.5) / ROWS  # 0 at the top row, 1 at the bottom
    y = 1.0 / (1.0 / Y_FAR + s * (1.0 / Y_NEAR - 1.0 / Y_FAR))  # (30,)
    u = ((np.arange(COLS) + 0.5) / COLS * 2 - 1) * U_EDGE  # (32,)
    return u[None, :] * y[:, None], np.broadcast_to(y[:, None], (ROWS, COLS))


def render(d, phi, kappa, width, road_level, off_level, gradient, noise, rng: np.random.Generator) -> np.ndarray:
    """Images ``(m, 30, 32)`` of the roads given by ``(m,)`` arrays (see the module docstring)."""
    x, y = ground_grid()
    pixel = 2 * U_EDGE * y / COLS  # (30, 32): metres one pixel spans at that row
    centre = d[:, None, None] + np.tan(phi)[:, None, None] * y + 0.5 * kappa[:, None, None] * y**2
    inside = 0.5 * width[:, None, None] - np.abs(x - centre)  # > 0 on the road
    road = np.clip(0.5 + inside / pixel, 0.0, 1.0)  # the fraction of the pixel on the road
    image = off_level[:, None, None] + (road_level - off_level)[:, None, None] * road
    image = image + gradient[:, None, None] * np.linspace(-0.5, 0.5, COLS)
    image = image + noise * rng.standard_normal(image.shape)
    return np.clip(image, 0.0, 1.0)


def sample(rng: np.random.Generator, m: int, widths: str = "varying", noise: float = 0.05, lighter=None) -> Roads:
    """``m`` random road scenes: ``widths`` is ``"varying"`` (uniform in 2-6 m) or ``"fixed"`` (3.5 m).

    Our ranges: offset ``d`` uniform in +-1.5 m, heading ``phi`` in +-15 degrees,
    curvature ``kappa`` in +-0.02 /m; road level uniform in [0.2, 0.8], contrast in
    [0.15, 0.5] (lighter or darker road at random, unless ``lighter``, ``(m,)`` of 0/1,
    says which), illumination gradient in +-0.2.
    """
    if widths not in ("varying", "fixed"):
        raise ValueError(f"widths must be 'varying' or 'fixed', got {widths!r}")
    if m < 1:
        raise ValueError(f"need at least one road, got m={m}")
    d = rng.uniform(-1.5, 1.5, m)
    phi = np.deg2rad(rng.uniform(-15, 15, m))
    kappa = rng.uniform(-0.02, 0.02, m)
    width = rng.uniform(*WIDTH_RANGE, m) if widths == "varying" else np.full(m, WIDTH_FIXED)
    coin = (rng.random(m) < 0.5).astype(float)
    lighter = coin if lighter is None else np.asarray(lighter, dtype=float)
    if lighter.shape != (m,) or not np.isin(lighter, (0.0, 1.0)).all():
        raise ValueError(f"lighter must be {m} zeros and ones, got shape {lighter.shape}")
    road_level = rng.uniform(0.2, 0.8, m)
    contrast = rng.uniform(0.15, 0.5, m)
    off_level = road_level - np.where(lighter == 1, contrast, -contrast)
    gradient = rng.uniform(-0.2, 0.2, m)
    images = render(d, phi, kappa, width, road_level, off_level, gradient, noise, rng)
    return Roads(images, d, phi, kappa, width, lighter)


def edge_probes(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight, noise-free, lighter roads whose two edges move independently.

    The left edge (m, relative to the vehicle) is uniform in [-3.5, -0.5], the right
    one in [0.5, 3.5], drawn apart from each other; returns ``(images, left, right)``,
    ``(m, 30, 32)``, ``(m,)``, ``(m,)``. A unit that follows one edge and ignores the
    other is an edge detector; one that follows the road's centre sees both.
    """
    left, right = rng.uniform(-3.5, -0.5, m), rng.uniform(0.5, 3.5, m)
    zeros = np.zeros(m)
    images = render((left + right) / 2, zeros, zeros, right - left, np.full(m, 0.7), np.full(m, 0.3), zeros, 0.0, rng)
    return images, left, right
