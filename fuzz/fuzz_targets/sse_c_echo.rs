#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ssec_conform::fuzzing::sse_c_echo(data));
