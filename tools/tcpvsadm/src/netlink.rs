//! The "TCPVS" generic netlink family (`lvs_logic::tcpvs_proto`),
//! through neli 0.6's synchronous socket as ipvsadm uses it: the family
//! resolved by name, changes sent with NLM_F_ACK and answered by an
//! acknowledgement or an errno, listings as dumps. Replies are read from
//! the raw attribute bytes with length checks, so that a malformed reply
//! is an error, not a panic.
//!
//! Command and attribute numbers are the protocol module's constants,
//! used as neli's raw `u8` command and `u16` attribute types.

use std::net::{Ipv4Addr, SocketAddrV4};

use lvs_logic::tcpvs_proto::{attr, cmd, dest, rule, svc, FAMILY_NAME, FAMILY_VERSION};
use neli::{
    consts::{
        genl::{CtrlAttr, CtrlCmd},
        nl::{GenlId, NlmF, NlmFFlags},
        socket::NlFamily,
    },
    err::{NlError, SerError, WrappedError},
    genl::{Genlmsghdr, Nlattr},
    nl::{NlPayload, Nlmsghdr},
    socket::NlSocketHandle,
    types::{Buffer, GenlBuffer},
};

use crate::errors::Error;
use crate::model::{Dest, DestSpec, Rule, Service, ServiceSpec};

/// The attributes of one message or nest.
type Attrs = Vec<Nlattr<u16, Buffer>>;

/// A kernel refusal as its errno; anything else on the socket as EINVAL
/// (neli gives no errno for it).
fn errno_of<T, P>(e: NlError<T, P>) -> Error {
    match e {
        NlError::Nlmsgerr(err) => Error::Errno(-err.error),
        _ => Error::Errno(libc::EINVAL),
    }
}

/// A failed send: the socket's errno if it had one.
fn send_errno(e: SerError) -> Error {
    match e {
        SerError::Wrapped(WrappedError::IOError(io)) => {
            Error::Errno(io.raw_os_error().unwrap_or(libc::EINVAL))
        }
        _ => Error::Errno(libc::EINVAL),
    }
}

/// One attribute.
fn attr(ty: u16, payload: &[u8]) -> Result<Nlattr<u16, Buffer>, Error> {
    Nlattr::new(false, false, ty, Buffer::from(payload)).map_err(|_| Error::Errno(libc::EINVAL))
}

/// A nest of type `ty` holding `inner`.
fn nest(ty: u16, inner: &[Nlattr<u16, Buffer>]) -> Result<Nlattr<u16, Buffer>, Error> {
    let mut outer = attr(ty, &[])?;
    outer.nla_type.nla_nested = true;
    for a in inner {
        outer
            .add_nested_attribute(a)
            .map_err(|_| Error::Errno(libc::EINVAL))?;
    }
    Ok(outer)
}

/// `s` with its NUL, as the NulString policies want it.
fn c_string(s: &str) -> Vec<u8> {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// SERVICE{IDENT}: which service a request is about.
fn ident_nest(ident: &str) -> Result<Nlattr<u16, Buffer>, Error> {
    nest(attr::SERVICE, &[attr(svc::IDENT, &c_string(ident))?])
}

/// SERVICE{IDENT, and what the spec gives}. Address and port are
/// network order, pool sizes host order.
fn service_nest(s: &ServiceSpec) -> Result<Nlattr<u16, Buffer>, Error> {
    let mut inner = vec![attr(svc::IDENT, &c_string(&s.ident))?];
    if let Some(sched) = &s.sched {
        inner.push(attr(svc::SCHED_NAME, &c_string(sched))?);
    }
    if let Some(addr) = s.addr {
        inner.push(attr(svc::ADDR, &addr.octets())?);
    }
    if let Some(port) = s.port {
        inner.push(attr(svc::PORT, &port.to_be_bytes())?);
    }
    let p = &s.pool;
    for (ty, value) in [
        (svc::STARTSERVERS, p.startservers),
        (svc::MAXCLIENTS, p.maxclients),
        (svc::MINSPARE, p.minspare),
        (svc::MAXSPARE, p.maxspare),
    ] {
        if let Some(v) = value {
            inner.push(attr(ty, &v.to_ne_bytes())?);
        }
    }
    nest(attr::SERVICE, &inner)
}

/// DEST{ADDR, PORT} and, if given, WEIGHT.
fn dest_nest(server: SocketAddrV4, weight: Option<u32>) -> Result<Nlattr<u16, Buffer>, Error> {
    let mut inner = vec![
        attr(dest::ADDR, &server.ip().octets())?,
        attr(dest::PORT, &server.port().to_be_bytes())?,
    ];
    if let Some(w) = weight {
        inner.push(attr(dest::WEIGHT, &w.to_ne_bytes())?);
    }
    nest(attr::DEST, &inner)
}

/// RULE{PATTERN, ADDR, PORT} and, for a new rule, MATCH_NUM.
fn rule_nest(r: &Rule, with_match: bool) -> Result<Nlattr<u16, Buffer>, Error> {
    let mut inner = vec![
        attr(rule::PATTERN, &c_string(&r.pattern))?,
        attr(rule::ADDR, &r.server.ip().octets())?,
        attr(rule::PORT, &r.server.port().to_be_bytes())?,
    ];
    if with_match {
        inner.push(attr(rule::MATCH_NUM, &r.match_num.to_ne_bytes())?);
    }
    nest(attr::RULE, &inner)
}

/// neli 0.6's attributes are not `Clone`: rebuild one from its parts.
fn copy_attr(a: &Nlattr<u16, Buffer>) -> Nlattr<u16, Buffer> {
    Nlattr {
        nla_len: a.nla_len,
        nla_type: neli::genl::AttrType {
            nla_nested: a.nla_type.nla_nested,
            nla_network_order: a.nla_type.nla_network_order,
            nla_type: a.nla_type.nla_type,
        },
        nla_payload: Buffer::from(a.nla_payload.as_ref()),
    }
}

/// Read-only view of the attributes of one message or nest.
struct View<'a>(&'a [Nlattr<u16, Buffer>]);

impl View<'_> {
    fn raw(&self, ty: u16) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|a| a.nla_type.nla_type == ty)
            .map(|a| a.nla_payload.as_ref())
    }

    fn bytes<const N: usize>(&self, ty: u16) -> Option<[u8; N]> {
        self.raw(ty)?.get(..N)?.try_into().ok()
    }

    fn u32(&self, ty: u16) -> Option<u32> {
        self.bytes(ty).map(u32::from_ne_bytes)
    }

    /// An IPv4 address and a port, both network order.
    fn addr_port(&self, addr: u16, port: u16) -> Option<SocketAddrV4> {
        let a = Ipv4Addr::from(self.bytes::<4>(addr)?);
        Some(SocketAddrV4::new(
            a,
            self.bytes(port).map(u16::from_be_bytes)?,
        ))
    }

    /// A NUL-terminated string, cut at its NUL.
    fn string(&self, ty: u16) -> Option<String> {
        let raw = self.raw(ty)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        Some(String::from_utf8_lossy(&raw[..end]).into_owned())
    }

    /// The attributes nested in `ty`.
    fn nested(&self, ty: u16) -> Option<Attrs> {
        let a = self.0.iter().find(|a| a.nla_type.nla_type == ty)?;
        let handle = a.get_attr_handle::<u16>().ok()?;
        Some(handle.get_attrs().iter().map(copy_attr).collect())
    }
}

/// A GET_SERVICE reply: every attribute the protocol lists is needed.
fn parse_service(reply: &Attrs) -> Option<Service> {
    let nest = View(reply).nested(attr::SERVICE)?;
    let v = View(&nest);
    Some(Service {
        ident: v.string(svc::IDENT)?,
        sched: v.string(svc::SCHED_NAME)?,
        listen: v.addr_port(svc::ADDR, svc::PORT)?,
        startservers: v.u32(svc::STARTSERVERS)?,
        maxclients: v.u32(svc::MAXCLIENTS)?,
        minspare: v.u32(svc::MINSPARE)?,
        maxspare: v.u32(svc::MAXSPARE)?,
        running: v.u32(svc::RUNNING)? != 0,
        conns: v.u32(svc::CONNS)?,
    })
}

/// A GET_DEST reply.
fn parse_dest(reply: &Attrs) -> Option<Dest> {
    let nest = View(reply).nested(attr::DEST)?;
    let v = View(&nest);
    Some(Dest {
        server: v.addr_port(dest::ADDR, dest::PORT)?,
        weight: v.u32(dest::WEIGHT)?,
        conns: v.u32(dest::CONNS)?,
        up: v.u32(dest::UP)? != 0,
    })
}

/// A GET_RULE reply.
fn parse_rule(reply: &Attrs) -> Option<Rule> {
    let nest = View(reply).nested(attr::RULE)?;
    let v = View(&nest);
    Some(Rule {
        pattern: v.string(rule::PATTERN)?,
        server: v.addr_port(rule::ADDR, rule::PORT)?,
        match_num: v.u32(rule::MATCH_NUM)?,
    })
}

/// A connected generic netlink socket and the family's id and version.
pub struct Tcpvs {
    socket: NlSocketHandle,
    family: u16,
    /// The family's version, as the module registered it.
    pub version: u32,
}

impl Tcpvs {
    /// Open a generic netlink socket and ask the controller for the
    /// "TCPVS" family (CTRL_CMD_GETFAMILY, as neli's
    /// `resolve_genl_family`, but keeping the version too). The
    /// controller answers ENOENT when no module registered it.
    pub fn connect() -> Result<Tcpvs, Error> {
        let mut socket = NlSocketHandle::connect(NlFamily::Generic, None, &[])
            .map_err(|e| Error::Errno(e.raw_os_error().unwrap_or(libc::EINVAL)))?;
        let name = Nlattr::new(false, false, CtrlAttr::FamilyName, FAMILY_NAME)
            .map_err(|_| Error::Errno(libc::EINVAL))?;
        let msg = Nlmsghdr::new(
            None,
            GenlId::Ctrl,
            NlmFFlags::new(&[NlmF::Request, NlmF::Ack]),
            None,
            None,
            NlPayload::Payload(Genlmsghdr::new(
                CtrlCmd::Getfamily,
                2,
                std::iter::once(name).collect(),
            )),
        );
        socket.send(msg).map_err(send_errno)?;
        let mut found = None;
        for reply in socket.iter::<GenlId, Genlmsghdr<CtrlCmd, CtrlAttr>>(false) {
            if let NlPayload::Payload(genl) = reply.map_err(errno_of)?.nl_payload {
                let handle = genl.get_attr_handle();
                let id = handle.get_attr_payload_as::<u16>(CtrlAttr::FamilyId);
                let version = handle.get_attr_payload_as::<u32>(CtrlAttr::Version);
                if let (Ok(family), Ok(version)) = (id, version) {
                    found = Some((family, version));
                }
            }
        }
        let (family, version) = found.ok_or(Error::BadReply)?;
        Ok(Tcpvs {
            socket,
            family,
            version,
        })
    }

    /// Send one request and collect the attributes of every reply (none
    /// for an acknowledged change, one per object for a dump).
    fn request(&mut self, command: u8, flag: NlmF, attrs: Attrs) -> Result<Vec<Attrs>, Error> {
        let attrs: GenlBuffer<u16, Buffer> = attrs.into_iter().collect();
        let msg = Nlmsghdr::new(
            None,
            self.family,
            NlmFFlags::new(&[NlmF::Request, flag]),
            None,
            None,
            NlPayload::Payload(Genlmsghdr::new(command, FAMILY_VERSION, attrs)),
        );
        self.socket.send(msg).map_err(send_errno)?;
        let mut out = Vec::new();
        for reply in self.socket.iter::<u16, Genlmsghdr<u8, u16>>(false) {
            if let NlPayload::Payload(genl) = reply.map_err(errno_of)?.nl_payload {
                out.push(
                    genl.get_attr_handle()
                        .get_attrs()
                        .iter()
                        .map(copy_attr)
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    /// A request that changes something, answered by an acknowledgement
    /// or an error.
    fn change(&mut self, command: u8, attrs: Attrs) -> Result<(), Error> {
        self.request(command, NlmF::Ack, attrs).map(|_| ())
    }

    /// A dump, each reply read by `parse`.
    fn dump<T>(
        &mut self,
        command: u8,
        attrs: Attrs,
        parse: fn(&Attrs) -> Option<T>,
    ) -> Result<Vec<T>, Error> {
        self.request(command, NlmF::Dump, attrs)?
            .iter()
            .map(|r| parse(r).ok_or(Error::BadReply))
            .collect()
    }

    /// NEW_SERVICE.
    pub fn add_service(&mut self, s: &ServiceSpec) -> Result<(), Error> {
        self.change(cmd::NEW_SERVICE, vec![service_nest(s)?])
    }

    /// SET_SERVICE.
    pub fn edit_service(&mut self, s: &ServiceSpec) -> Result<(), Error> {
        self.change(cmd::SET_SERVICE, vec![service_nest(s)?])
    }

    /// DEL_SERVICE.
    pub fn del_service(&mut self, ident: &str) -> Result<(), Error> {
        self.change(cmd::DEL_SERVICE, vec![ident_nest(ident)?])
    }

    /// FLUSH.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.change(cmd::FLUSH, Vec::new())
    }

    /// START or STOP (`command`) of one service, or of all without one.
    pub fn start_stop(&mut self, command: u8, ident: Option<&str>) -> Result<(), Error> {
        let attrs = match ident {
            Some(ident) => vec![ident_nest(ident)?],
            None => Vec::new(),
        };
        self.change(command, attrs)
    }

    /// NEW_DEST.
    pub fn add_dest(&mut self, ident: &str, d: &DestSpec) -> Result<(), Error> {
        self.change(
            cmd::NEW_DEST,
            vec![ident_nest(ident)?, dest_nest(d.server, d.weight)?],
        )
    }

    /// SET_DEST.
    pub fn edit_dest(&mut self, ident: &str, d: &DestSpec) -> Result<(), Error> {
        self.change(
            cmd::SET_DEST,
            vec![ident_nest(ident)?, dest_nest(d.server, d.weight)?],
        )
    }

    /// DEL_DEST: the server's address only.
    pub fn del_dest(&mut self, ident: &str, server: SocketAddrV4) -> Result<(), Error> {
        self.change(
            cmd::DEL_DEST,
            vec![ident_nest(ident)?, dest_nest(server, None)?],
        )
    }

    /// NEW_RULE.
    pub fn add_rule(&mut self, ident: &str, r: &Rule) -> Result<(), Error> {
        self.change(cmd::NEW_RULE, vec![ident_nest(ident)?, rule_nest(r, true)?])
    }

    /// DEL_RULE: pattern and server.
    pub fn del_rule(&mut self, ident: &str, r: &Rule) -> Result<(), Error> {
        self.change(
            cmd::DEL_RULE,
            vec![ident_nest(ident)?, rule_nest(r, false)?],
        )
    }

    /// Dump of GET_SERVICE: every service, or the one named.
    pub fn services(&mut self, ident: Option<&str>) -> Result<Vec<Service>, Error> {
        let attrs = match ident {
            Some(ident) => vec![ident_nest(ident)?],
            None => Vec::new(),
        };
        self.dump(cmd::GET_SERVICE, attrs, parse_service)
    }

    /// Dump of GET_DEST: the real servers of a service.
    pub fn dests(&mut self, ident: &str) -> Result<Vec<Dest>, Error> {
        self.dump(cmd::GET_DEST, vec![ident_nest(ident)?], parse_dest)
    }

    /// Dump of GET_RULE: the rules of a service, in order.
    pub fn rules(&mut self, ident: &str) -> Result<Vec<Rule>, Error> {
        self.dump(cmd::GET_RULE, vec![ident_nest(ident)?], parse_rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pool;

    /// The bytes neli puts on the wire for `a`.
    fn wire(a: &Nlattr<u16, Buffer>) -> Vec<u8> {
        use neli::ToBytes;
        let mut c = std::io::Cursor::new(Vec::new());
        a.to_bytes(&mut c).unwrap();
        c.into_inner()
    }

    /// An attribute's bytes: length, type, payload, padding.
    fn tlv(ty: u16, payload: &[u8], nested: bool) -> Vec<u8> {
        let len = 4 + payload.len();
        let mut out = (len as u16).to_ne_bytes().to_vec();
        out.extend((ty | if nested { 0x8000 } else { 0 }).to_ne_bytes());
        out.extend(payload);
        out.resize(len.next_multiple_of(4), 0);
        out
    }

    #[test]
    fn requests_as_the_protocol_lays_them_out() {
        let spec = ServiceSpec {
            ident: "web".into(),
            sched: Some("http".into()),
            addr: Some(Ipv4Addr::new(10, 0, 0, 1)),
            port: Some(80),
            pool: Pool {
                startservers: Some(8),
                maxspare: Some(18),
                ..Default::default()
            },
        };
        let inner = [
            tlv(svc::IDENT, b"web\0", false),
            tlv(svc::SCHED_NAME, b"http\0", false),
            tlv(svc::ADDR, &[10, 0, 0, 1], false),
            tlv(svc::PORT, &[0, 80], false),
            tlv(svc::STARTSERVERS, &8u32.to_ne_bytes(), false),
            tlv(svc::MAXSPARE, &18u32.to_ne_bytes(), false),
        ]
        .concat();
        assert_eq!(
            wire(&service_nest(&spec).unwrap()),
            tlv(attr::SERVICE, &inner, true)
        );

        let only = ServiceSpec {
            ident: "web".into(),
            ..Default::default()
        };
        assert_eq!(
            wire(&service_nest(&only).unwrap()),
            tlv(attr::SERVICE, &tlv(svc::IDENT, b"web\0", false), true)
        );

        let server = SocketAddrV4::new(Ipv4Addr::new(192, 168, 10, 2), 8080);
        let d = [
            tlv(dest::ADDR, &[192, 168, 10, 2], false),
            tlv(dest::PORT, &[0x1f, 0x90], false),
        ]
        .concat();
        assert_eq!(
            wire(&dest_nest(server, None).unwrap()),
            tlv(attr::DEST, &d, true)
        );
        let dw = [d.clone(), tlv(dest::WEIGHT, &5u32.to_ne_bytes(), false)].concat();
        assert_eq!(
            wire(&dest_nest(server, Some(5)).unwrap()),
            tlv(attr::DEST, &dw, true)
        );

        let r = Rule {
            pattern: "^/a/".into(),
            server,
            match_num: 2,
        };
        let rb = [
            tlv(rule::PATTERN, b"^/a/\0", false),
            tlv(rule::ADDR, &[192, 168, 10, 2], false),
            tlv(rule::PORT, &[0x1f, 0x90], false),
        ]
        .concat();
        assert_eq!(
            wire(&rule_nest(&r, false).unwrap()),
            tlv(attr::RULE, &rb, true)
        );
        let rm = [rb, tlv(rule::MATCH_NUM, &2u32.to_ne_bytes(), false)].concat();
        assert_eq!(
            wire(&rule_nest(&r, true).unwrap()),
            tlv(attr::RULE, &rm, true)
        );
    }

    fn reply(ty: u16, inner: &[(u16, Vec<u8>)]) -> Attrs {
        let attrs: Vec<_> = inner.iter().map(|(t, p)| attr(*t, p).unwrap()).collect();
        vec![nest(ty, &attrs).unwrap()]
    }

    #[test]
    fn replies() {
        let mut fields = vec![
            (svc::IDENT, b"web\0".to_vec()),
            (svc::SCHED_NAME, b"hhttp\0".to_vec()),
            (svc::ADDR, vec![0, 0, 0, 0]),
            (svc::PORT, vec![0, 80]),
            (svc::STARTSERVERS, 8u32.to_ne_bytes().to_vec()),
            (svc::MAXCLIENTS, 256u32.to_ne_bytes().to_vec()),
            (svc::MINSPARE, 6u32.to_ne_bytes().to_vec()),
            (svc::MAXSPARE, 18u32.to_ne_bytes().to_vec()),
            (svc::RUNNING, 1u32.to_ne_bytes().to_vec()),
            (svc::CONNS, 4u32.to_ne_bytes().to_vec()),
        ];
        assert_eq!(
            parse_service(&reply(attr::SERVICE, &fields)),
            Some(Service {
                ident: "web".into(),
                sched: "hhttp".into(),
                listen: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80),
                startservers: 8,
                maxclients: 256,
                minspare: 6,
                maxspare: 18,
                running: true,
                conns: 4,
            })
        );
        fields[3].1 = vec![0];
        assert_eq!(
            parse_service(&reply(attr::SERVICE, &fields)),
            None,
            "short port"
        );
        fields.truncate(3);
        assert_eq!(
            parse_service(&reply(attr::SERVICE, &fields)),
            None,
            "missing fields"
        );
        assert_eq!(
            parse_service(&reply(attr::DEST, &fields)),
            None,
            "wrong nest"
        );

        let d = [
            (dest::ADDR, vec![10, 0, 0, 2]),
            (dest::PORT, vec![0, 80]),
            (dest::WEIGHT, 3u32.to_ne_bytes().to_vec()),
            (dest::CONNS, 7u32.to_ne_bytes().to_vec()),
            (dest::UP, 0u32.to_ne_bytes().to_vec()),
        ];
        assert_eq!(
            parse_dest(&reply(attr::DEST, &d)),
            Some(Dest {
                server: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80),
                weight: 3,
                conns: 7,
                up: false,
            })
        );

        let r = [
            (rule::PATTERN, b".*\0".to_vec()),
            (rule::ADDR, vec![10, 0, 0, 2]),
            (rule::PORT, vec![0, 80]),
            (rule::MATCH_NUM, 0u32.to_ne_bytes().to_vec()),
        ];
        assert_eq!(
            parse_rule(&reply(attr::RULE, &r)),
            Some(Rule {
                pattern: ".*".into(),
                server: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80),
                match_num: 0,
            })
        );
        assert_eq!(parse_rule(&reply(attr::RULE, &r[..3])), None);
    }
}
