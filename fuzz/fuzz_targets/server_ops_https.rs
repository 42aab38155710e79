#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ssec_conform::fuzzing::server_ops_https(data));
