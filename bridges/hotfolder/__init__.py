"""Hot folders (DESIGN.md "Hot folders"): drop a file into a preset folder, get a folder of stems.

    layout.py     where things live (inbox, processing/<owner>/, done/, failed/, out/), name filters
    stability.py  when a dropped file is complete (size+mtime settled, openable)
    claim.py      the atomic rename that decides which daemon takes a file
    sidecar.py    <file>.json overriding the folder's preset
    filing.py     moving a finished file to done/ or failed/ (+ <name>.error.txt)
    watcher.py    watchdog glue
    inbox.py      one watched folder: candidates, and when a dropped file is complete
    lifecycle.py  a claimed file's life: submit, follow its job, file it (retries included)
    bridge.py     HotFolderBridge: the Bridge the daemon starts (settings, the worker thread)
"""

from .bridge import HotFolderBridge

__all__ = ["HotFolderBridge"]
