"""ShapesWorld's documented constants: shapes, GenEval's ten colours with their RGB values, sizes, fills,
backgrounds and styles.

Implements: the vocabulary of the companion's stand-in for GenEval's COCO objects and colours (GenEval,
djghosh13/geneval: colours red, orange, yellow, green, blue, purple, pink, brown, black, white; see
``/work/shared/PAPER_FACTS.md``, "Benchmarks, as their own code defines them"). Introduced in
``notebooks/02_shapesworld.py``.

Every constant is a plain tuple or dict so that data cards, tests and the evaluator read the same values.
"""

from __future__ import annotations

#: The object classes. Five shapes that stay separable at 32x32 px when rendered at 4x and downsampled
#: (FIELD_NOTES: 99.6% by a checker); they stand in for GenEval's 80 COCO classes.
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross")

#: Plural forms for counting prompts ("a photo of three crosses").
PLURALS: dict[str, str] = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars",
                           "cross": "crosses"}

#: GenEval's ten colour words with the sRGB value ShapesWorld paints them in. Chosen to be far apart in RGB
#: (the closest pair, orange-red / pink-purple, still differs by more than 80 in at least one channel).
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (255, 140, 0),
    "yellow": (245, 220, 20),
    "green": (30, 160, 50),
    "blue": (30, 70, 220),
    "purple": (130, 40, 170),
    "pink": (255, 130, 200),
    "brown": (125, 75, 25),
    "black": (15, 15, 15),
    "white": (250, 250, 250),
}
COLOR_NAMES: tuple[str, ...] = tuple(COLORS)

#: Backgrounds: none of them is an object colour. ``gray`` is the default; the others exist for background edits
#: ("change the background to teal") and for the DPG paragraphs' global properties.
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "gray": (128, 128, 128),
    "teal": (0, 140, 140),
    "beige": (215, 200, 160),
    "sky": (135, 190, 235),
}
BACKGROUND_NAMES: tuple[str, ...] = tuple(BACKGROUNDS)
DEFAULT_BACKGROUND = "gray"

#: Object sizes: the half-extent of the shape's box as a fraction of the canvas side (a medium object is
#: 0.32 x 32 = 10 px across at 32x32). Steps of about x1.35 keep sizes distinguishable by area at 32 px.
SIZES: dict[str, float] = {"small": 0.115, "medium": 0.155, "large": 0.21}
SIZE_NAMES: tuple[str, ...] = tuple(SIZES)

#: Fills: a solid shape or a hollow outline (stroke ``HOLLOW_STROKE`` x half-extent, at least 1.3 px).
FILLS: tuple[str, ...] = ("solid", "hollow")
HOLLOW_STROKE = 0.32
HOLLOW_MIN_STROKE_PX = 1.3

#: Global styles (for ImgEdit's "style" and GEdit's "style_change"): ``flat`` paints shapes as filled; ``outline``
#: draws every object as a line drawing (hollow, whatever its own fill).
STYLES: tuple[str, ...] = ("flat", "outline")

#: Rotations that ShapesWorld uses (degrees, counter-clockwise): a triangle points up at 0 and down at 180
#: ("action" edits turn it upside down). The renderer accepts any angle.
ROTATIONS: tuple[int, ...] = (0, 180)

#: GenEval's relation words (position task) and number words (counting task, 2-4 objects).
RELATIONS: tuple[str, ...] = ("left of", "right of", "above", "below")
NUMBER_WORDS: dict[int, str] = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                                8: "eight"}

#: Supersampling factor of the renderer: shapes are rasterised at SUPERSAMPLE x the output size and box-filtered.
SUPERSAMPLE = 4

#: The nano resolution (32x32 RGB; the nano VAE turns it into 8x8 latents).
NANO_SIZE = 32


def article(word: str) -> str:
    """``"an"`` before a vowel sound, else ``"a"`` (GenEval's templates write "a photo of an orange ...")."""
    return "an" if word[0] in "aeiou" else "a"
