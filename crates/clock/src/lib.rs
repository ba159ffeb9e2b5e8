//! Clock and VM health: probes (adjtimex, SNTP, sysfs, kernel log, /proc/stat) and analysers
