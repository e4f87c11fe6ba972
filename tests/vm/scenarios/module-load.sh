# The simulated AP bus module loads, shows up in /sys/module and unloads
# cleanly (the harness also fails the run on any kernel warning meanwhile).
# Before it loads there is no AP bus: x86_64 has none, and s390x's built-in
# real AP bus never registers under TCG (no AP instructions).
expect_missing /sys/bus/ap
note "loading apsim.ko"
load_apctl_modules
module_loaded apsim || fail "apsim is not live in /sys/module after loading"
note "unloading apsim"
unload_apctl_modules || fail "the apctl modules did not unload"
expect_missing /sys/module/apsim
