//! Target `s3_xml`: XML request bodies never panic the server nor get a 5xx.

use std::sync::Mutex;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use md5::{Digest as _, Md5};

use crate::client::Outgoing;
use crate::fuzzing::{InProcess, assert_not_server_error, clip, ensure_bucket_once, in_process};

const XML_BUCKET: &str = "fuzz-xml";
const XML_VERSIONING_BUCKET: &str = "fuzz-xml-versioning";
const XML_KEY: &str = "xml-object";

/// The operation that receives the XML body.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum XmlOp {
    /// `POST /bucket/key?uploadId=…` (CompleteMultipartUpload)
    Complete,
    /// `POST /bucket?delete` (DeleteObjects)
    Delete {
        /// Send a correct `Content-MD5`.
        content_md5: bool,
    },
    /// `PUT /bucket?versioning` (PutBucketVersioning)
    Versioning,
}

/// An element name.
#[derive(Debug, Clone, Arbitrary)]
pub enum XmlName {
    /// `CompleteMultipartUpload`
    CompleteMultipartUpload,
    /// `Part`
    Part,
    /// `PartNumber`
    PartNumber,
    /// `ETag`
    ETag,
    /// `ChecksumCRC32`
    ChecksumCrc32,
    /// `Delete`
    Delete,
    /// `Object`
    Object,
    /// `Key`
    Key,
    /// `VersionId`
    VersionId,
    /// `Quiet`
    Quiet,
    /// `VersioningConfiguration`
    VersioningConfiguration,
    /// `Status`
    Status,
    /// `MfaDelete`
    MfaDelete,
    /// Anything.
    Other(String),
}

impl XmlName {
    fn render(&self) -> String {
        match self {
            Self::CompleteMultipartUpload => "CompleteMultipartUpload".into(),
            Self::Part => "Part".into(),
            Self::PartNumber => "PartNumber".into(),
            Self::ETag => "ETag".into(),
            Self::ChecksumCrc32 => "ChecksumCRC32".into(),
            Self::Delete => "Delete".into(),
            Self::Object => "Object".into(),
            Self::Key => "Key".into(),
            Self::VersionId => "VersionId".into(),
            Self::Quiet => "Quiet".into(),
            Self::VersioningConfiguration => "VersioningConfiguration".into(),
            Self::Status => "Status".into(),
            Self::MfaDelete => "MfaDelete".into(),
            Self::Other(s) => {
                let s: String =
                    s.chars().filter(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_')).take(24).collect();
                if s.is_empty() { "X".into() } else { s }
            }
        }
    }
}

/// Element content.
#[derive(Debug, Clone, Arbitrary)]
pub enum XmlChild {
    /// A nested element.
    Element(XmlNode),
    /// A number.
    Number(i64),
    /// `Enabled`, `Suspended`, `true`, `false`, `"etag"`.
    Word(u8),
    /// Text (escaped).
    Text(String),
    /// Raw text (not escaped).
    Raw(String),
    /// `<![CDATA[…]]>`
    CData(String),
    /// An entity or character reference.
    Entity(u8),
}

/// An element.
#[derive(Debug, Clone, Arbitrary)]
pub struct XmlNode {
    /// Name.
    pub name: XmlName,
    /// Add the S3 namespace.
    pub xmlns: bool,
    /// Content.
    pub children: Vec<XmlChild>,
}

impl XmlNode {
    fn render(&self, out: &mut String, depth: usize) {
        let name = self.name.render();
        out.push('<');
        out.push_str(&name);
        if self.xmlns {
            out.push_str(r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#);
        }
        out.push('>');
        for child in self.children.iter().take(16) {
            match child {
                XmlChild::Element(e) if depth < 24 => e.render(out, depth + 1),
                XmlChild::Element(_) => {}
                XmlChild::Number(n) => out.push_str(&n.to_string()),
                XmlChild::Word(w) => {
                    out.push_str(
                        ["Enabled", "Suspended", "true", "false", "\"0123\"", "", "1", "10001"][usize::from(w % 8)],
                    );
                }
                XmlChild::Text(t) => {
                    out.push_str(&clip(t.clone()).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
                }
                XmlChild::Raw(t) => out.push_str(&clip(t.clone())),
                XmlChild::CData(t) => {
                    out.push_str("<![CDATA[");
                    out.push_str(&clip(t.replace("]]>", "")));
                    out.push_str("]]>");
                }
                XmlChild::Entity(e) => {
                    out.push_str(
                        ["&amp;", "&lt;", "&#65;", "&#x1F600;", "&#0;", "&bogus;", "&#xFFFFFFFF;", "&"]
                            [usize::from(e % 8)],
                    );
                }
            }
        }
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
}

/// The body of an [`XmlCase`].
#[derive(Debug, Clone, Arbitrary)]
pub enum XmlBody {
    /// Raw bytes.
    Raw(Vec<u8>),
    /// A generated document.
    Doc {
        /// Prefix `<?xml version="1.0" encoding="UTF-8"?>`.
        declaration: bool,
        /// The root element.
        root: XmlNode,
    },
}

/// One request for [`s3_xml`].
#[derive(Debug, Clone, Arbitrary)]
pub struct XmlCase {
    /// The operation.
    pub op: XmlOp,
    /// The body.
    pub body: XmlBody,
}

impl XmlBody {
    /// The body bytes.
    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        match self {
            Self::Raw(b) => b.clone(),
            Self::Doc { declaration, root } => {
                let mut s = String::new();
                if *declaration {
                    s.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
                }
                root.render(&mut s, 0);
                s.into_bytes()
            }
        }
    }
}

/// Fuzz entry point: [`XmlCase`] from bytes, then [`check_xml_case`].
pub fn s3_xml(data: &[u8]) {
    if let Ok(case) = XmlCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_xml_case(&case);
    }
}

/// The open multipart upload of [`XML_KEY`] (one 1-byte part), reused until a Complete succeeds.
static XML_UPLOAD: Mutex<Option<String>> = Mutex::new(None);

fn xml_upload(ip: &InProcess) -> String {
    let mut slot = XML_UPLOAD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(id) = slot.as_ref() {
        return id.clone();
    }
    let mut create = Outgoing::new("POST", Some(XML_BUCKET), Some(XML_KEY));
    create.query.push(("uploads".into(), String::new()));
    let reply = ip.send(&create);
    let text = String::from_utf8_lossy(reply.bytes()).into_owned();
    let id = crate::client::xml::element(&text, "UploadId")
        .unwrap_or_else(|| panic!("CreateMultipartUpload: {}", reply.summary()));
    let mut part = Outgoing::new("PUT", Some(XML_BUCKET), Some(XML_KEY));
    part.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), id.clone())];
    part.body = Bytes::from_static(b"x");
    assert!(ip.send(&part).is_success(), "UploadPart for the XML target failed");
    *slot = Some(id.clone());
    id
}

/// A signed request with the case's XML body never panics and never gets a 5xx.
pub fn check_xml_case(case: &XmlCase) {
    let ip = in_process();
    ensure_bucket_once(ip, XML_BUCKET);
    ensure_bucket_once(ip, XML_VERSIONING_BUCKET);
    let body = case.body.render();
    let req = match case.op {
        XmlOp::Complete => {
            let id = xml_upload(ip);
            let mut req = Outgoing::new("POST", Some(XML_BUCKET), Some(XML_KEY));
            req.query.push(("uploadId".into(), id));
            req
        }
        XmlOp::Delete { content_md5 } => {
            let mut req = Outgoing::new("POST", Some(XML_BUCKET), None);
            req.query.push(("delete".into(), String::new()));
            if content_md5 {
                req.headers.push(("content-md5".into(), B64.encode(Md5::digest(&body))));
            }
            req
        }
        XmlOp::Versioning => {
            let mut req = Outgoing::new("PUT", Some(XML_VERSIONING_BUCKET), None);
            req.query.push(("versioning".into(), String::new()));
            req
        }
    };
    let mut req = req;
    req.body = Bytes::from(body);
    let reply = ip.send(&req);
    assert_not_server_error(&reply, &format!("{:?} with a {}-byte body", case.op, req.body.len()));
    if matches!(case.op, XmlOp::Complete) && reply.is_success() {
        *XML_UPLOAD.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}
