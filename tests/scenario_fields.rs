//! The checksum and payload fields of scenario files: what loads, and the errors, at
//! `file:line:col`, for what does not.

use ssec_conform::scenario::load::parse;

const PUT: &str = "title: t\ncases: [K1]\nlevel: must\nkeys: { a: random }\nbodies: { d: { text: hi } }\nsteps:\n  - put: { key: o, body: d, sse-c: a, FIELDS }\n    expect: { status: 200 }\n";

fn errors(fields: &str) -> Vec<String> {
    parse("x.yaml", &PUT.replace("FIELDS", fields)).err().unwrap_or_default()
}

#[test]
fn checksum_and_payload_fields_load() {
    for ok in [
        "checksum: { algorithm: CRC32 }",
        "checksum: { algorithm: SHA256, trailer: true }",
        "checksum: { algorithm: CRC64NVME, trailer: true }, payload: streaming-unsigned-trailer, chunk-size: 256KiB+1",
        "checksum: { algorithm: CRC32C, value: \"${crc32c.d}\" }",
        "payload: streaming-signed, chunk-size: 1KiB",
        "payload: unsigned",
    ] {
        assert_eq!(errors(ok), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn misuse_is_an_error_at_the_step() {
    for (fields, message) in [
        ("chunk-size: 1KiB", "x.yaml:7:5: `chunk-size` needs a streaming `payload`"),
        ("payload: streaming-signed, chunk-size: lots", "x.yaml:7:5: `chunk-size`: bad size `lots`"),
        (
            "checksum: { algorithm: CRC32, trailer: true }, payload: streaming-signed",
            "x.yaml:7:5: a trailer checksum needs `payload: streaming-unsigned-trailer`",
        ),
        ("checksum-mode: true", "x.yaml:7:5: `checksum-mode` applies to get, head only, not `put`"),
        ("checksum: { algorithm: CRC32, value: \"${crc32.nope}\" }", "x.yaml:7:5: `${crc32.nope}`: body `nope`"),
    ] {
        let e = errors(fields);
        assert!(e.iter().any(|l| l.starts_with(message)), "{fields}: {e:?}");
    }
}

#[test]
fn an_unknown_algorithm_is_an_error_at_its_line_and_column() {
    let e = errors("checksum: { algorithm: MD5 }");
    assert!(e[0].starts_with("x.yaml:7:") && e[0].contains("MD5"), "{e:?}");
}
