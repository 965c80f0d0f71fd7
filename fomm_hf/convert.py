"""``python -m fomm_hf.convert --config CONFIG.yaml --checkpoint CKPT.pth.tar --output DIR``: ``fomm convert``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(["convert", *sys.argv[1:]]))
