"""A tag's WeChat sync: queued, running, then done or failed; any finished sync can be queued again."""

from weloop.core.state import StateMachine
from weloop.tagging.enums import SyncStatus

TAG_SYNC = StateMachine(
    "tag_sync",
    {
        SyncStatus.IDLE: {SyncStatus.PENDING},
        SyncStatus.PENDING: {SyncStatus.RUNNING},
        # A worker killed mid-run leaves "running": the next request resumes from the cursor.
        SyncStatus.RUNNING: {SyncStatus.DONE, SyncStatus.FAILED, SyncStatus.PENDING},
        SyncStatus.DONE: {SyncStatus.PENDING},
        SyncStatus.FAILED: {SyncStatus.PENDING},
    },
)
