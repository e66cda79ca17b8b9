"""Where the label placement script is: one JavaScript file for every label laid out in a browser.

``placement.js`` places labels so that none overlaps another or leaves the view (near its
anchor, then a shorter text, then further out with a leader line). The operations-centre page
serves it for its plan (``GET /static/placement.js``) and the 3D page (:mod:`viz.page`) embeds
it for the building labels it projects from vtk.js's camera. Python's own placement of labels
drawn onto frames is :func:`viz.overlay.place_labels`.
"""

from __future__ import annotations

from pathlib import Path

PLACEMENT_JS = Path(__file__).resolve().with_name("placement.js")
