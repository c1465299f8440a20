#pragma once
/// SIGHUP with a configuration file: which settings of a configuration read
/// again the running daemon takes at once, and which wait for a restart.
///
/// Taken at once: the attribution (`rules`, `attribution`,
/// `rules_check_interval_ms`, `rules_refuse_shrink`), the timers
/// (`idle_flush_ms`, `checkpoint_every_s`), the memory ceiling
/// (`memory_limit_mb`) and the verdict files' rotation and sync policy
/// (`rotate_mb`, `rotate_s`, `sync_ms`, `sync_each_line`). Everything else
/// binds a socket, opens a file or shapes state the engine already holds (its
/// windows, the pseudonyms of privacy mode, the capture's segmenter): a change
/// there is logged as waiting for the next start, and the running value stays.

#include <string>
#include <vector>

#include "runtime/daemon.h"

namespace callroot::runtime {

/// The configuration keys whose values differ between `running` and `next`
/// and that take effect only at the next start, in the file's vocabulary.
std::vector<std::string> changes_needing_restart(const DaemonOptions& running, const DaemonOptions& next);

/// True when `next` asks for another attribution than `running`: other rule
/// paths, another method, another check interval. (An edit inside the rule
/// files is not a change of configuration: the files are watched.)
bool attribution_changed(const DaemonOptions& running, const DaemonOptions& next);

/// Copies into `running` what `next` changes that takes effect at once
/// (the timers, the memory ceiling, the verdict files' policy, refusing
/// shrinking rule sets). The attribution is the caller's: it has to load.
void take_live_settings(DaemonOptions& running, const DaemonOptions& next);

}  // namespace callroot::runtime
