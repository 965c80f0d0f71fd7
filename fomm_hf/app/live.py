"""The app's Live tab: each webcam frame animates the source picture as it comes (:meth:`FOMMPipeline.live`).

How Gradio 6.31 streams a webcam, as its code reads (docs/app.md#live gives the files and lines), and what this
module does about it:

- The page sends a frame every ``stream_every`` seconds (1 / $FOMM_APP_LIVE_FPS): a JPEG of the video, mirrored
  as the viewer sees it, posted without waiting for the answer to the one before.
- The server keeps the newest frame of a stream only: a frame that comes while the handler runs replaces the
  one before it, and the queue calls the handler with it once the call before has returned. So frames are
  dropped, never queued, and at most one waits per viewer. The handler never sees the frames replaced: it
  estimates them from the time since its last frame and the camera's rate, and counts them as dropped.
- A stream is one queue event for as long as it runs: the event's ``concurrency_limit`` ($FOMM_APP_LIVE_VIEWERS)
  bounds the viewers animated at once; the others wait in the queue (a timer runs in their status box).
- Neither an error nor Gradio's ``time_limit`` stops the camera: the page joins the queue again at its next
  frame (after an error, at every frame, with a message each time). So when a viewer's time is up
  ($FOMM_APP_LIVE_SECONDS) the handler turns the camera non-interactive, which closes it, and says why.
- A session's ``gr.State`` outlives a closed page by an hour; ``demo.unload`` runs as soon as the page's
  heartbeat stops. So viewers are kept here, keyed by session: all of a viewer is freed when the page is left
  (:meth:`LiveTab.leave`), and its animator (and its frames but the last) once no frame has come for
  ``idle_seconds`` (stopped).
- Gradio runs a handler in whichever of its 40 worker threads is free. Each thread that runs the models keeps a
  memory arena and a team of PyTorch's threads of its own, and the server's memory grew by 2 to 6% a minute as a
  stream went on; so the frames are animated in threads of this tab's, one per viewer at once (flat then). Each
  runs PyTorch on $FOMM_APP_LIVE_THREADS threads of its own (one by default): PyTorch's threads spin while they
  wait, and took the CPU that the web server and the frames' coding need (docs/app.md#live gives the figures).
- Each frame shown is a file that Gradio serves (an output image is written to its cache, one file per frame,
  and its path kept for as long as the server runs). The handler writes the frames itself, in a folder per
  viewer, and deletes all but the last few, which it also takes out of the output component's record.
"""

import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Deque, Dict, List, Optional, Set

import gradio as gr
import PIL.Image
from gradio.utils import get_upload_folder

from ..animation import limit_threads_here
from ..errors import FOMMError, InvalidInputError
from ..images import read_image
from ..model_store import REAL_FACE_MODEL
from .animator import MOTION_MODES, Animator, scaled_within
from .cropping import source_crop
from .examples import find_examples
from .messages import without_server_paths
from .zero_gpu import runs_on_zero_gpu

IDLE_SECONDS = 5.0  # a viewer who sent no frame for this long has stopped: their animator is freed
FRAMES_KEPT = 30  # the last frames written per viewer, which a page that lags may still fetch; older ones are deleted
MAX_SOURCE_SIDE = 768  # pixels: a larger source picture is scaled down first (each frame is pasted back into it)
JPEG_QUALITY = 90
GRADIO_TIME_MARGIN = 10  # seconds: Gradio's own time limit of a stream is the viewer's and this, a backstop

# The camera's size asked for: Gradio asks for 1920x1440 otherwise, a large upload at each frame for a face that the
# models see at 256x256 at most.
CAMERA_CONSTRAINTS = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}}
NO_SOURCE = "Choose a source picture to animate: upload one or pick an example."
ZERO_GPU_NOTE = (
    "Live animation from the webcam is not offered on this ZeroGPU Space: ZeroGPU lends a GPU for one call at a "
    "time, in a process of its own, and a live stream is one call per camera frame, so each frame would wait for "
    "a GPU and lose what the frame before left (the reference pose and the face followed). Animate a recording "
    "instead, in the first tab."
)
CAMERA_SCRIPT = """
() => {
  // Gradio's webcam says nothing when the camera cannot be opened: this says why, under the camera.
  const say = (text) => {
    const note = document.querySelector("#live-camera-note");
    if (note) { note.textContent = text; note.style.display = text ? "block" : "none"; }
  };
  const media = navigator.mediaDevices;
  if (!media || !media.getUserMedia) {
    say("This browser gives this page no camera: the page must be opened over https (or on localhost).");
    return;
  }
  const open = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) => open(constraints).then(
    (stream) => { say(""); return stream; },
    (error) => {
      const again = "then click the camera box again.";
      const reasons = {
        NotAllowedError: `The camera was refused: allow this page to use it (the address bar's camera icon), ${again}`,
        NotFoundError: `No camera was found: connect one, ${again}`,
        NotReadableError: `The camera is in use by another program, or cannot be read: close that program, ${again}`,
        OverconstrainedError: "The camera cannot give a picture of the size asked for.",
      };
      say(reasons[error.name] || `The camera cannot be opened (${error.name}: ${error.message}).`);
      throw error;
    });
}
"""


@dataclass(frozen=True)
class LiveChoice:
    """What a viewer's animator animates, and how: another choice, another animator."""

    source: Optional[str]  # the source picture's file
    model: Optional[str]  # a label of the model menu (empty: the default model)
    motion: str = "relative"
    adapt_scale: bool = False
    fast: bool = False


class Viewer:
    """One page's live animation: its animator (None until its first frame, and once it has stopped), the seconds
    it has been live, and the frames written for it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.busy = threading.Lock()  # held while a frame is animated
        self.choice: Optional[LiveChoice] = None
        self.animator = None
        self.category: Optional[str] = None  # what the model animates
        self.notes: str = ""  # what was done to the source picture (scaled down)
        self.seconds = 0.0  # live so far, pauses of idle_seconds or more left out
        self.last_frame: Optional[float] = None  # time.monotonic() when the last frame came
        self.shown: Deque[Path] = deque()  # the frames written, the newest last
        self.count = 0  # frames written


class LiveTab:
    """The Live tab's actions, for the models and within the settings of ``animator`` (whose loaded models it
    shares)."""

    def __init__(self, animator: Animator, idle_seconds: float = IDLE_SECONDS):
        self.settings, self.menu, self.models = animator.settings, animator.menu, animator.models
        self.idle_seconds = idle_seconds
        self.folder = Path(os.path.abspath(get_upload_folder())) / "fomm_live"
        self.served: Set[str] = set()  # the output component's record of the files it served (its temp_files)
        self._viewers: Dict[str, Viewer] = {}
        self._lock = threading.Lock()  # guards _viewers and _watcher
        self._watcher: Optional[threading.Thread] = None  # frees idle viewers' animators while there are any
        # The frames are animated in these threads, one per viewer at once, not in Gradio's (see the module).
        self._workers = ThreadPoolExecutor(self.settings.live_viewers, thread_name_prefix="fomm-live",
                                           initializer=self._limit_threads)

    def _limit_threads(self) -> None:
        """A live thread's PyTorch CPU threads ($FOMM_APP_LIVE_THREADS; the server's other threads keep theirs)."""
        if self.settings.live_threads:
            limit_threads_here(self.settings.live_threads)

    @property
    def shown(self) -> bool:
        """Whether the page has the Live tab: the operator's choice, and not on ZeroGPU (see ZERO_GPU_NOTE)."""
        return self.settings.live and not runs_on_zero_gpu()

    @property
    def hidden_because(self) -> str:
        """Why the page has no Live tab, to say so in the page ("" where it has one, or the operator turned it
        off)."""
        return ZERO_GPU_NOTE if self.settings.live and runs_on_zero_gpu() else ""

    @property
    def stream_options(self) -> dict:
        """The stream event's options: the camera's rate, the viewers at once, Gradio's own time limit."""
        limit = self.settings.live_seconds
        return dict(stream_every=1 / self.settings.live_fps, concurrency_limit=self.settings.live_viewers,
                    concurrency_id="live", time_limit=limit + GRADIO_TIME_MARGIN if limit else None)

    def show_frames_in(self, output: gr.Image) -> None:
        """Frames deleted are also taken out of ``output``'s record of the files it served, which Gradio keeps for
        as long as the server runs."""
        self.served = output.temp_files

    @property
    def viewers(self) -> int:
        """Viewers with an animator now."""
        with self._lock:
            return sum(viewer.animator is not None for viewer in self._viewers.values())

    def stream(self, frame, source_image: Optional[str] = None, model: Optional[str] = None,
               motion: str = "relative", adapt_scale: bool = False, fast: bool = False,
               request: Optional[gr.Request] = None):
        """One camera frame (H, W, 3 uint8 RGB) of a viewer in; (the animated picture's file, the status line, an
        update of the camera) out: the camera is turned off when the viewer's time is up. Bad choices (no source,
        a model not offered, a picture too small) are said in the status line, and no frame is animated."""
        viewer = self._viewer(request)
        if not viewer.busy.acquire(blocking=False):  # another stream of this page's is animating a frame
            animator = viewer.animator
            if animator is not None:
                animator.frame_dropped()
            return gr.skip(), gr.skip(), gr.skip()
        try:
            choice = LiveChoice(source_image, model, motion, adapt_scale, fast)
            return self._workers.submit(self._animate, viewer, frame, choice).result()
        finally:
            viewer.busy.release()

    def reset(self, request: Optional[gr.Request] = None) -> None:
        """Reset pose: the viewer's next camera frame becomes the reference pose, taken as the source's own."""
        viewer = self._viewers.get(session_of(request))
        animator = viewer.animator if viewer is not None else None
        if animator is not None:
            animator.reset()

    def leave(self, request: Optional[gr.Request] = None) -> None:
        """The page is closed: everything of its viewer is freed (once the frame being animated is done)."""
        with self._lock:
            viewer = self._viewers.pop(session_of(request), None)
        if viewer is not None:
            with viewer.busy:
                self._close(viewer, keep=0)

    def _viewer(self, request: Optional[gr.Request]) -> Viewer:
        session = session_of(request)
        with self._lock:
            if session not in self._viewers:
                self._viewers[session] = Viewer(self.folder / os.urandom(8).hex())
            return self._viewers[session]

    def _animate(self, viewer: Viewer, frame, choice: LiveChoice):
        now = time.monotonic()
        gap = now - viewer.last_frame if viewer.last_frame is not None else None
        viewer.last_frame = now
        if gap is not None and gap < self.idle_seconds:
            viewer.seconds += gap
        limit = self.settings.live_seconds
        if limit and viewer.seconds >= limit:
            self._close(viewer)
            return gr.skip(), time_up(limit), gr.Image(interactive=False)
        if frame is None:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            continuing = viewer.animator is not None and viewer.choice == choice
            animator = viewer.animator if continuing else self._start(viewer, choice)
            if continuing and gap is not None and gap < self.idle_seconds:
                for _ in range(round(gap * self.settings.live_fps) - 1):  # replaced by later ones, unseen
                    animator.frame_dropped()
            picture = animator(frame)
        except FOMMError as error:
            self._close(viewer)
            return None, without_server_paths(str(error)), gr.skip()
        return self._write(viewer, picture), self._status(viewer), gr.skip()

    def _start(self, viewer: Viewer, choice: LiveChoice):
        """A new animator for ``viewer``, for ``choice``; raises a FOMMError where it cannot be made."""
        viewer.animator = viewer.choice = None  # the one before is freed
        entry = self.menu.choose(choice.model)  # refuses a model not offered
        if choice.source is None:
            raise InvalidInputError(NO_SOURCE)
        if choice.motion not in MOTION_MODES:
            raise InvalidInputError(f"The motion must be one of {', '.join(MOTION_MODES)}; got {choice.motion!r}.")
        image, scaled = scaled_within(read_image(choice.source), min(MAX_SOURCE_SIDE, self.settings.max_image_side))
        source_crop(image, "subject", self.settings.min_image_side)  # refuses a picture too small
        pipe = self.models.get(entry).pipe
        viewer.animator = pipe.live(image, relative=choice.motion == "relative", adapt_scale=choice.adapt_scale,
                                    fast=choice.fast, backend=self.settings.backend, int8=self.settings.int8)
        viewer.choice, viewer.category, viewer.notes = choice, pipe.category, scaled
        self._watch()
        return viewer.animator

    def _write(self, viewer: Viewer, picture) -> str:
        """Writes the animated picture for the page to show; deletes the viewer's frames before the last few."""
        viewer.folder.mkdir(parents=True, exist_ok=True)
        viewer.count += 1
        path = viewer.folder / f"frame-{viewer.count:07d}.jpg"
        PIL.Image.fromarray(picture).save(path, quality=JPEG_QUALITY)
        viewer.shown.append(path)
        while len(viewer.shown) > FRAMES_KEPT:
            self._forget(viewer.shown.popleft())
        return str(path)

    def _status(self, viewer: Viewer) -> str:
        animator = viewer.animator
        lines = [f"Live: {animator.stats.summary()}.", animator.status]
        if viewer.notes:
            lines.append(viewer.notes)
        if viewer.category == "cartoon-face":
            lines.append(f"This model knows cartoon faces only; for real faces, use {REAL_FACE_MODEL} in the Model "
                         "menu.")
        if self.settings.live_seconds:
            lines.append(f"{viewer.seconds:.0f} s of your {self.settings.live_seconds:g} s of live animation used.")
        return "\n".join(lines)

    def _forget(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.served.discard(str(path))

    def _close(self, viewer: Viewer, keep: int = 1) -> None:
        """Frees the viewer's animator, and deletes its frames but the last ``keep``, which the page shows (the
        caller holds ``viewer.busy``)."""
        viewer.animator = viewer.choice = None
        while len(viewer.shown) > keep:
            self._forget(viewer.shown.popleft())
        if not viewer.shown and viewer.folder.is_dir() and not any(viewer.folder.iterdir()):
            viewer.folder.rmdir()

    def _watch(self) -> None:
        """Starts the thread that frees idle viewers' animators, if it is not running."""
        with self._lock:
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._free_idle, name="fomm-live-idle", daemon=True)
                self._watcher.start()

    def _free_idle(self) -> None:
        """Frees the animators of the viewers who sent no frame for ``idle_seconds`` (they stopped the camera);
        ends when no viewer has an animator."""
        while True:
            time.sleep(self.idle_seconds / 4)
            with self._lock:
                viewers = list(self._viewers.values())
            for viewer in viewers:
                if viewer.busy.acquire(blocking=False):
                    try:
                        if viewer.animator is not None and time.monotonic() - viewer.last_frame > self.idle_seconds:
                            self._close(viewer)
                    finally:
                        viewer.busy.release()
            with self._lock:
                if all(viewer.animator is None for viewer in self._viewers.values()):
                    self._watcher = None
                    return


def example_sources(folder) -> Dict[str, List[List[str]]]:
    """{category: [[source picture], ...]}: the example pictures of :func:`~.examples.find_examples`, each once, as
    rows of examples whose one input is the source picture."""
    return {category: [[source] for source in sorted({source for source, _ in pairs})]
            for category, pairs in find_examples(folder).items()}


def session_of(request: Optional[gr.Request]) -> str:
    """The page a call comes from (one viewer per page); calls without a request are all one viewer."""
    return (getattr(request, "session_hash", None) or "") if request is not None else ""


def time_up(limit: float) -> str:
    return (f"Stopped: this server gives each viewer {limit:g} s of live animation, and yours are used. Reload the "
            "page for another turn.")
