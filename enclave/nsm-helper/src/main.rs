// nsm-helper: asks the Nitro Secure Module (/dev/nsm) for an attestation document or its
// description, for the Node runtime, which has no ioctl. Protocol (enclave/src/nsm/nitro-nsm.ts):
//   nsm-helper attest    stdin: {"public_key"?, "user_data"?, "nonce"?} (base64) -> stdout: document (base64)
//   nsm-helper describe  stdout: {"module_id", "digest", "pcrs": {"0": hex, ...}}
// Errors go to stderr with a non-zero exit. Request and response types follow
// aws-nitro-enclaves-nsm-api (Request::Attestation, Request::DescribeNSM, Request::DescribePCR).
use std::io::{Read, Write};

use aws_nitro_enclaves_nsm_api::api::{Digest, Request, Response};
use aws_nitro_enclaves_nsm_api::driver::{nsm_exit, nsm_init, nsm_process_request};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_bytes::ByteBuf;

fn field(value: &serde_json::Value, name: &str) -> Result<Option<ByteBuf>, String> {
    match value.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => STANDARD
            .decode(text)
            .map(|bytes| Some(ByteBuf::from(bytes)))
            .map_err(|e| format!("{name} is not base64: {e}")),
        Some(_) => Err(format!("{name} is not a string")),
    }
}

fn attest(fd: i32) -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin().take(8192).read_to_string(&mut input).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&input).map_err(|e| e.to_string())?;
    let request = Request::Attestation {
        public_key: field(&value, "public_key")?,
        user_data: field(&value, "user_data")?,
        nonce: field(&value, "nonce")?,
    };
    match nsm_process_request(fd, request) {
        Response::Attestation { document } => Ok(STANDARD.encode(document)),
        Response::Error(code) => Err(format!("NSM error {code:?}")),
        _ => Err("unexpected NSM response".into()),
    }
}

fn describe(fd: i32) -> Result<String, String> {
    let (module_id, digest, max_pcrs) = match nsm_process_request(fd, Request::DescribeNSM) {
        Response::DescribeNSM { module_id, digest, max_pcrs, .. } => (module_id, digest, max_pcrs),
        Response::Error(code) => return Err(format!("NSM error {code:?}")),
        _ => return Err("unexpected NSM response".into()),
    };
    if !matches!(digest, Digest::SHA384) {
        return Err("the module does not use SHA384".into());
    }
    let mut pcrs = serde_json::Map::new();
    for index in 0..max_pcrs.min(16) {
        if let Response::DescribePCR { data, .. } = nsm_process_request(fd, Request::DescribePCR { index }) {
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            pcrs.insert(index.to_string(), serde_json::Value::String(hex));
        }
    }
    Ok(serde_json::json!({ "module_id": module_id, "digest": "SHA384", "pcrs": pcrs }).to_string())
}

fn main() {
    let command = std::env::args().nth(1).unwrap_or_default();
    let fd = nsm_init();
    if fd < 0 {
        eprintln!("cannot open /dev/nsm");
        std::process::exit(2);
    }
    let result = match command.as_str() {
        "attest" => attest(fd),
        "describe" => describe(fd),
        _ => Err(format!("unknown command {command:?}; use attest or describe")),
    };
    nsm_exit(fd);
    match result {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    }
}
