# runsc/spec/: OCI config.json (sources are globbed by runsc/module.mk).
UNIT_TESTS += spec
