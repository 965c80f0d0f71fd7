"""The source picture as the models see it, framed around its subject, and how the result goes back into it.

Both jobs of the pipeline start from it: a video file animated into a file (:mod:`.video_job`) and a live stream
animated frame by frame (:mod:`.live_animator`).
"""

from dataclasses import dataclass
from typing import List, Optional

import torch

from ..framing import PasteBack, SubjectFramer
from ..images import prepare_image, rgb_array


@dataclass
class PreparedSource:
    image: torch.Tensor  # (1, 3, S, S) float in [0, 1]: the source as the models see it
    paste_back: Optional[PasteBack]  # puts animated squares back into the whole source; None: not pasted back
    notes: List[str]  # what framing found, or did instead


def prepare_framed_source(source_image, framer: Optional[SubjectFramer], image_size: int, fit: str = "crop",
                          paste_back: bool = True) -> PreparedSource:
    """The source as the models see it: the square around its subject where ``framer`` finds one (pasted back at
    the end if ``paste_back``), else what ``fit`` makes square."""
    if framer is None:
        return PreparedSource(prepare_image(source_image, image_size, fit, "source_image"), None, [])
    whole_source = rgb_array(source_image, "source_image")
    framed = framer.frame_source(whole_source, fit)
    if framed.square is None:
        return PreparedSource(prepare_image(whole_source, image_size, fit, "source_image"), None, [framed.note])
    square = prepare_image(framed.square.crop(whole_source), image_size, fit, "source_image")
    return PreparedSource(square, PasteBack(whole_source, framed.square) if paste_back else None, [framed.note])
