// SPDX-License-Identifier: GPL-2.0
//! POSIX extended regular expressions for KTCPVS's content rules
//! (thesis §6.3.6: `--pattern=REGEX`), safe to run in the kernel on
//! whatever a client sends: a pattern compiles to a bounded program
//! (at most [`MAX_INSTS`] instructions, [`MAX_CLASSES`] bracket
//! expressions), and matching runs it as a Pike VM, one step per input
//! byte over at most one thread per instruction: time linear in the input,
//! memory fixed (the caller's [`Scratch`]), no backtracking.
//!
//! The syntax is ERE over bytes: literals, `.`, bracket expressions with
//! ranges and `[:class:]`es, `^`, `$`, `( )`, `|`, `*`, `+`, `?`, `{m}`,
//! `{m,}`, `{m,n}` (m, n ≤ 255) and `\` quoting the next byte. A search
//! finds the leftmost-longest match, as POSIX asks, and the span one
//! chosen group took in it.

/// Most instructions a compiled pattern may have.
pub const MAX_INSTS: usize = 1024;
/// Most bracket expressions in a pattern.
pub const MAX_CLASSES: usize = 32;
/// Most parse-tree nodes (each pattern byte makes at most a few).
const MAX_NODES: usize = 1024;
/// Deepest nesting of groups: parsing and compiling recurse once per
/// level (a few small frames each), so this bounds their stack use.
const MAX_DEPTH: usize = 8;
/// Groups are numbered 1..=MAX_GROUP; 0 is the whole match.
pub const MAX_GROUP: usize = 9;
/// Longest repetition bound (POSIX's RE_DUP_MAX).
const DUP_MAX: u32 = 255;

/// Why a pattern does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `(` without `)`, or `)` without `(`.
    Paren,
    /// `[` without `]`, or a bad range or class inside.
    Bracket,
    /// A bad `{m,n}`.
    Brace,
    /// A quantifier with nothing to repeat.
    Repeat,
    /// `\` at the end.
    Escape,
    /// More than the program, class or node limits allow.
    TooBig,
}

/// One instruction of the program.
#[derive(Clone, Copy, Debug)]
enum Inst {
    Byte(u8),
    Any,
    Class(u8),
    /// Line start and end (the input's: no newline handling).
    Bol,
    Eol,
    /// Go on at both, the first preferred.
    Split(u16, u16),
    Jmp(u16),
    /// Record the position as start (even) or end (odd) of a group.
    Save(u8),
    Match,
}

/// A parse-tree node; children are indices into the node arena.
#[derive(Clone, Copy, Debug)]
enum Node {
    Empty,
    Byte(u8),
    Any,
    Class(u8),
    Bol,
    Eol,
    Concat(u16, u16),
    Alt(u16, u16),
    Group(u8, u16),
    /// `child{min,max}`; `max` None is unbounded.
    Repeat(u16, u8, Option<u8>),
}

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default)]
struct ByteSet([u32; 8]);

impl ByteSet {
    fn add(&mut self, b: u8) {
        self.0[usize::from(b >> 5)] |= 1 << (b & 31);
    }
    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 5)] & (1 << (b & 31)) != 0
    }
    fn invert(&mut self) {
        for w in &mut self.0 {
            *w = !*w;
        }
    }
}

/// A compiled pattern. `Copy` so the kernel can copy an empty one
/// from a static straight to the heap (it is too large for the stack).
#[derive(Clone, Copy)]
pub struct Regex {
    insts: [Inst; MAX_INSTS],
    len: usize,
    classes: [ByteSet; MAX_CLASSES],
    /// Number of groups in the pattern.
    groups: usize,
}

/// Where a match is: the whole and, if asked and taking part, a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// Where the match starts.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// The asked group's span, if it took part.
    pub group: Option<(usize, usize)>,
}

/// One thread: where it started and the asked group's span so far.
#[derive(Clone, Copy, Default)]
struct Thread {
    pc: u16,
    start: u32,
    group: [u32; 2],
}

const UNSET: u32 = u32::MAX;

/// Working memory, about 60 KiB, that the caller allocates once (the
/// kernel on the heap, not the stack) and reuses: for matching, the Pike
/// VM's two thread lists and closure stack, one entry per instruction
/// each; for compiling, the parse tree and the code generator's stack.
/// `Copy` for the same reason as [`Regex`].
#[derive(Clone, Copy)]
pub struct Scratch {
    lists: [[Thread; MAX_INSTS]; 2],
    /// Per instruction, the step (+1) it was last added in.
    seen: [u32; MAX_INSTS],
    stack: [Thread; MAX_INSTS],
    nodes: [Node; MAX_NODES],
    /// Per node, the instructions it compiles to (saturated).
    sizes: [u16; MAX_NODES],
    pending: [u16; MAX_NODES],
}

impl Scratch {
    /// Empty working memory.
    pub const fn new() -> Self {
        const T: Thread = Thread { pc: 0, start: 0, group: [0; 2] };
        Scratch {
            lists: [[T; MAX_INSTS]; 2],
            seen: [0; MAX_INSTS],
            stack: [T; MAX_INSTS],
            nodes: [Node::Empty; MAX_NODES],
            sizes: [0; MAX_NODES],
            pending: [0; MAX_NODES],
        }
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

/// The parser: pattern bytes into the node arena.
struct Parser<'a> {
    pat: &'a [u8],
    at: usize,
    nodes: &'a mut [Node; MAX_NODES],
    sizes: &'a mut [u16; MAX_NODES],
    len: usize,
    classes: &'a mut [ByteSet; MAX_CLASSES],
    nclasses: usize,
    groups: usize,
    depth: usize,
}

impl Parser<'_> {
    /// Adds node `n`, with the size of the code it compiles to: a
    /// program over [`MAX_INSTS`] is refused here, before compiling
    /// (whose repetitions could otherwise run for ages on nothing).
    fn node(&mut self, n: Node) -> Result<u16, Error> {
        if self.len == MAX_NODES {
            return Err(Error::TooBig);
        }
        let size = |id: u16| usize::from(self.sizes[usize::from(id)]);
        let size = match n {
            Node::Empty => 0,
            Node::Byte(_) | Node::Any | Node::Class(_) | Node::Bol | Node::Eol => 1,
            Node::Concat(a, b) => size(a) + size(b),
            Node::Alt(a, b) => size(a) + size(b) + 2,
            Node::Group(cap, inner) => size(inner) + if cap > 0 { 2 } else { 0 },
            Node::Repeat(child, min, max) => {
                let child = size(child);
                let optional = match max {
                    None => child + 2,
                    Some(max) => usize::from(max - min) * (child + 1),
                };
                if child == 0 {
                    0
                } else {
                    usize::from(min) * child + optional
                }
            }
        };
        if size > MAX_INSTS {
            return Err(Error::TooBig);
        }
        self.nodes[self.len] = n;
        self.sizes[self.len] = size as u16;
        self.len += 1;
        Ok((self.len - 1) as u16)
    }

    fn peek(&self) -> Option<u8> {
        self.pat.get(self.at).copied()
    }

    /// alternation := branch ('|' branch)*
    fn alternation(&mut self) -> Result<u16, Error> {
        let mut left = self.branch()?;
        while self.peek() == Some(b'|') {
            self.at += 1;
            let right = self.branch()?;
            left = self.node(Node::Alt(left, right))?;
        }
        Ok(left)
    }

    /// branch := piece*
    fn branch(&mut self) -> Result<u16, Error> {
        let mut left = self.node(Node::Empty)?;
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let piece = self.piece()?;
            left = self.node(Node::Concat(left, piece))?;
        }
        Ok(left)
    }

    /// piece := atom ('*' | '+' | '?' | '{m,n}')?
    ///
    /// One quantifier per atom: POSIX leaves `a**` undefined, and chains
    /// of them would nest as deep as the pattern is long.
    fn piece(&mut self) -> Result<u16, Error> {
        let atom = self.atom()?;
        let (min, max) = match self.peek() {
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'?') => (0, Some(1)),
            Some(b'{') => {
                self.at += 1;
                self.bounds()?
            }
            _ => return Ok(atom),
        };
        // Past the quantifier (or the `}` of a bound).
        self.at += 1;
        if matches!(self.peek(), Some(b'*' | b'+' | b'?' | b'{')) {
            return Err(Error::Repeat);
        }
        self.node(Node::Repeat(atom, min, max))
    }

    /// `m}`, `m,}` or `m,n}` after a `{`; leaves `at` on the `}`.
    fn bounds(&mut self) -> Result<(u8, Option<u8>), Error> {
        let min = self.number().ok_or(Error::Brace)?;
        let max = if self.peek() == Some(b',') {
            self.at += 1;
            if self.peek() == Some(b'}') {
                None
            } else {
                Some(self.number().ok_or(Error::Brace)?)
            }
        } else {
            Some(min)
        };
        if self.peek() != Some(b'}') || max.is_some_and(|max| max < min) {
            return Err(Error::Brace);
        }
        Ok((min, max))
    }

    fn number(&mut self) -> Option<u8> {
        let mut n: u32 = 0;
        let from = self.at;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n * 10 + u32::from(d - b'0');
            if n > DUP_MAX {
                return None;
            }
            self.at += 1;
        }
        (self.at > from).then_some(n as u8)
    }

    fn atom(&mut self) -> Result<u16, Error> {
        let c = self.peek().ok_or(Error::Repeat)?;
        self.at += 1;
        let node = match c {
            b'(' => {
                if self.depth == MAX_DEPTH {
                    return Err(Error::TooBig);
                }
                self.groups += 1;
                let group = self.groups;
                self.depth += 1;
                let inner = self.alternation()?;
                self.depth -= 1;
                if self.peek() != Some(b')') {
                    return Err(Error::Paren);
                }
                self.at += 1;
                let cap = if group <= MAX_GROUP { group as u8 } else { 0 };
                Node::Group(cap, inner)
            }
            b')' => return Err(Error::Paren),
            b'*' | b'+' | b'?' | b'{' => return Err(Error::Repeat),
            b'.' => Node::Any,
            b'^' => Node::Bol,
            b'$' => Node::Eol,
            b'[' => Node::Class(self.bracket()?),
            b'\\' => {
                let quoted = self.peek().ok_or(Error::Escape)?;
                self.at += 1;
                Node::Byte(quoted)
            }
            _ => Node::Byte(c),
        };
        self.node(node)
    }

    /// A bracket expression after its `[`, as a class number.
    fn bracket(&mut self) -> Result<u8, Error> {
        if self.nclasses == MAX_CLASSES {
            return Err(Error::TooBig);
        }
        let mut set = ByteSet::default();
        let negate = self.peek() == Some(b'^');
        if negate {
            self.at += 1;
        }
        let mut first = true;
        loop {
            let c = self.peek().ok_or(Error::Bracket)?;
            if c == b']' && !first {
                self.at += 1;
                break;
            }
            first = false;
            if c == b'[' && self.pat.get(self.at + 1) == Some(&b':') {
                self.named_class(&mut set)?;
                continue;
            }
            self.at += 1;
            let is_range = self.peek() == Some(b'-') && self.pat.get(self.at + 1).is_some_and(|&e| e != b']');
            if is_range {
                let end = self.pat[self.at + 1];
                self.at += 2;
                if end < c {
                    return Err(Error::Bracket);
                }
                for b in c..=end {
                    set.add(b);
                }
            } else {
                set.add(c);
            }
        }
        if negate {
            set.invert();
        }
        self.classes[self.nclasses] = set;
        self.nclasses += 1;
        Ok((self.nclasses - 1) as u8)
    }

    /// `[:name:]` inside a bracket expression, at its `[`.
    fn named_class(&mut self, set: &mut ByteSet) -> Result<(), Error> {
        let rest = &self.pat[self.at + 2..];
        let len = rest.windows(2).position(|w| w == b":]").ok_or(Error::Bracket)?;
        let test: fn(u8) -> bool = match &rest[..len] {
            b"alpha" => |b| b.is_ascii_alphabetic(),
            b"digit" => |b| b.is_ascii_digit(),
            b"alnum" => |b| b.is_ascii_alphanumeric(),
            b"upper" => |b| b.is_ascii_uppercase(),
            b"lower" => |b| b.is_ascii_lowercase(),
            b"space" => |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
            b"blank" => |b| b == b' ' || b == b'\t',
            b"punct" => |b| b.is_ascii_punctuation(),
            b"xdigit" => |b| b.is_ascii_hexdigit(),
            b"cntrl" => |b| b.is_ascii_control(),
            b"print" => |b| (0x20..0x7f).contains(&b),
            b"graph" => |b| b.is_ascii_graphic(),
            _ => return Err(Error::Bracket),
        };
        for b in 0..=255u8 {
            if test(b) {
                set.add(b);
            }
        }
        self.at += 2 + len + 2;
        Ok(())
    }
}

/// The code generator: parse tree into instructions. Sequences and
/// alternatives are left-deep chains as long as the pattern: they are
/// walked with the explicit stack `pending`, so recursion goes only as
/// deep as groups nest.
struct Compiler<'a> {
    nodes: &'a [Node],
    sizes: &'a [u16],
    insts: &'a mut [Inst; MAX_INSTS],
    len: usize,
    pending: &'a mut [u16; MAX_NODES],
    npending: usize,
}

/// Marks the end of a chain of instructions waiting for one target.
const NO_LINK: u16 = u16::MAX;

impl Compiler<'_> {
    fn emit(&mut self, inst: Inst) -> Result<usize, Error> {
        if self.len == MAX_INSTS {
            return Err(Error::TooBig);
        }
        self.insts[self.len] = inst;
        self.len += 1;
        Ok(self.len - 1)
    }

    fn here(&self) -> u16 {
        self.len as u16
    }

    /// Points every instruction of the chain from `link` (linked through
    /// their own jump fields) at `to`.
    fn resolve(&mut self, mut link: u16, to: u16) {
        while link != NO_LINK {
            let at = usize::from(link);
            match self.insts[at] {
                Inst::Jmp(next) => {
                    self.insts[at] = Inst::Jmp(to);
                    link = next;
                }
                Inst::Split(a, next) => {
                    self.insts[at] = Inst::Split(a, to);
                    link = next;
                }
                _ => unreachable!("only jumps and splits wait for a target"),
            }
        }
    }

    /// Pushes the right children down the left spine of `id`'s chain of
    /// `Concat`s (or `Alt`s, by `alt`); returns the leftmost element and
    /// where the pushed ones start.
    fn spine(&mut self, mut id: u16, alt: bool) -> (u16, usize) {
        let base = self.npending;
        loop {
            match (self.nodes[usize::from(id)], alt) {
                (Node::Concat(l, r), false) | (Node::Alt(l, r), true) => {
                    self.pending[self.npending] = r;
                    self.npending += 1;
                    id = l;
                }
                _ => return (id, base),
            }
        }
    }

    /// Pops the next element of a chain pushed by [`Self::spine`].
    fn next_pending(&mut self, base: usize) -> Option<u16> {
        (self.npending > base).then(|| {
            self.npending -= 1;
            self.pending[self.npending]
        })
    }

    fn node(&mut self, id: u16) -> Result<(), Error> {
        // Code of no size (`x{0}`, a repeat of nothing) is not walked: a
        // repeat of it would otherwise loop with nothing to show.
        if self.sizes[usize::from(id)] == 0 {
            return Ok(());
        }
        match self.nodes[usize::from(id)] {
            Node::Empty => {}
            Node::Byte(b) => _ = self.emit(Inst::Byte(b))?,
            Node::Any => _ = self.emit(Inst::Any)?,
            Node::Class(c) => _ = self.emit(Inst::Class(c))?,
            Node::Bol => _ = self.emit(Inst::Bol)?,
            Node::Eol => _ = self.emit(Inst::Eol)?,
            Node::Concat(..) => {
                let (first, base) = self.spine(id, false);
                self.node(first)?;
                while let Some(next) = self.next_pending(base) {
                    self.node(next)?;
                }
            }
            Node::Alt(..) => {
                // a|b|c: split a, (split b, c), each but the last
                // jumping to the end.
                let (mut alt, base) = self.spine(id, true);
                let mut to_end = NO_LINK;
                while let Some(next) = self.next_pending(base) {
                    let split = self.emit(Inst::Split(0, NO_LINK))? as u16;
                    self.insts[usize::from(split)] = Inst::Split(split + 1, NO_LINK);
                    self.node(alt)?;
                    to_end = self.emit(Inst::Jmp(to_end))? as u16;
                    let here = self.here();
                    self.resolve(split, here);
                    alt = next;
                }
                self.node(alt)?;
                let end = self.here();
                self.resolve(to_end, end);
            }
            Node::Group(cap, inner) => {
                if cap > 0 {
                    self.emit(Inst::Save(cap * 2))?;
                }
                self.node(inner)?;
                if cap > 0 {
                    self.emit(Inst::Save(cap * 2 + 1))?;
                }
            }
            Node::Repeat(child, min, max) => {
                for _ in 0..min {
                    self.node(child)?;
                }
                match max {
                    None => {
                        // child*: L: split body, out; body; jmp L
                        let split = self.emit(Inst::Split(0, NO_LINK))? as u16;
                        self.insts[usize::from(split)] = Inst::Split(split + 1, NO_LINK);
                        self.node(child)?;
                        self.emit(Inst::Jmp(split))?;
                        let out = self.here();
                        self.resolve(split, out);
                    }
                    Some(max) => {
                        // Each optional copy: split body, out (nested: a
                        // copy is tried only after the one before).
                        let mut to_out = NO_LINK;
                        for _ in min..max {
                            let split = self.emit(Inst::Split(0, to_out))? as u16;
                            self.insts[usize::from(split)] = Inst::Split(split + 1, to_out);
                            to_out = split;
                            self.node(child)?;
                        }
                        let out = self.here();
                        self.resolve(to_out, out);
                    }
                }
            }
        }
        Ok(())
    }
}

impl Regex {
    /// Compiles `pattern` into `self`, with `scratch` as working memory
    /// (a `Regex` is large: the kernel keeps both on the heap). On an
    /// error `self` matches nothing.
    pub fn compile_into(&mut self, pattern: &[u8], scratch: &mut Scratch) -> Result<(), Error> {
        self.len = 0;
        self.groups = 0;
        let compiled = self.compile(pattern, scratch);
        if compiled.is_err() {
            self.len = 0;
        }
        compiled
    }

    fn compile(&mut self, pattern: &[u8], scratch: &mut Scratch) -> Result<(), Error> {
        let mut p = Parser {
            pat: pattern,
            at: 0,
            nodes: &mut scratch.nodes,
            sizes: &mut scratch.sizes,
            len: 0,
            classes: &mut self.classes,
            nclasses: 0,
            groups: 0,
            depth: 0,
        };
        let root = p.alternation()?;
        if p.at != pattern.len() {
            return Err(Error::Paren);
        }
        let (nodes, groups) = (p.len, p.groups);
        let mut c = Compiler {
            nodes: &scratch.nodes[..nodes],
            sizes: &scratch.sizes[..nodes],
            insts: &mut self.insts,
            len: 0,
            pending: &mut scratch.pending,
            npending: 0,
        };
        c.emit(Inst::Save(0))?;
        c.node(root)?;
        c.emit(Inst::Save(1))?;
        c.emit(Inst::Match)?;
        self.len = c.len;
        self.groups = groups;
        Ok(())
    }

    /// A pattern that matches nothing, to compile into.
    pub const fn empty() -> Self {
        Regex { insts: [Inst::Match; MAX_INSTS], len: 0, classes: [ByteSet([0; 8]); MAX_CLASSES], groups: 0 }
    }

    /// How many groups the pattern has.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The leftmost-longest match in `text`, with the span of group
    /// `group` (1..=MAX_GROUP; 0 for none) if it took part.
    pub fn find(&self, text: &[u8], group: usize, scratch: &mut Scratch) -> Option<Match> {
        if self.len == 0 {
            return None;
        }
        let want = if (1..=MAX_GROUP).contains(&group) { group as u8 } else { 0 };
        let Scratch { lists, seen, stack, .. } = scratch;
        let (mut cur, mut next) = (0usize, 1usize);
        let mut ncur = 0;
        let mut best: Option<Thread> = None;
        let mut best_end = 0usize;
        seen.fill(0);
        for pos in 0..=text.len() {
            let step = pos as u32 + 1;
            // A new thread starts here while no match has been found.
            if best.is_none() {
                let t = Thread { pc: 0, start: pos as u32, group: [UNSET; 2] };
                ncur = self.add(&mut lists[cur], ncur, t, pos, text, step, want, seen, stack);
            }
            if ncur == 0 {
                break;
            }
            let mut nnext = 0;
            let byte = text.get(pos).copied();
            for i in 0..ncur {
                let t = lists[cur][i];
                if best.is_some_and(|b| t.start > b.start) {
                    continue;
                }
                match self.insts[usize::from(t.pc)] {
                    Inst::Match => {
                        let better = match best {
                            None => true,
                            Some(b) => t.start < b.start || (t.start == b.start && pos > best_end),
                        };
                        if better {
                            best = Some(t);
                            best_end = pos;
                        }
                    }
                    inst => {
                        let Some(b) = byte else { continue };
                        let ok = match inst {
                            Inst::Byte(c) => b == c,
                            Inst::Any => true,
                            Inst::Class(k) => self.classes[usize::from(k)].has(b),
                            _ => false,
                        };
                        if ok {
                            let moved = Thread { pc: t.pc + 1, ..t };
                            let (a, bl) = lists.split_at_mut(1);
                            let list = if next == 0 { &mut a[0] } else { &mut bl[0] };
                            nnext = self.add(list, nnext, moved, pos + 1, text, step + 1, want, seen, stack);
                        }
                    }
                }
            }
            core::mem::swap(&mut cur, &mut next);
            ncur = nnext;
        }
        best.map(|t| Match {
            start: t.start as usize,
            end: best_end,
            group: (t.group[0] != UNSET && t.group[1] != UNSET).then(|| (t.group[0] as usize, t.group[1] as usize)),
        })
    }

    /// Adds thread `t` at input position `pos` to `list` (holding `n`),
    /// following jumps, splits, saves and assertions (the epsilon
    /// closure, with an explicit stack); returns the new length.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        list: &mut [Thread; MAX_INSTS],
        mut n: usize,
        t: Thread,
        pos: usize,
        text: &[u8],
        step: u32,
        want: u8,
        seen: &mut [u32; MAX_INSTS],
        stack: &mut [Thread; MAX_INSTS],
    ) -> usize {
        let mut depth = 1;
        stack[0] = t;
        while depth > 0 {
            depth -= 1;
            let mut t = stack[depth];
            loop {
                let pc = usize::from(t.pc);
                if seen[pc] == step {
                    break;
                }
                seen[pc] = step;
                match self.insts[pc] {
                    Inst::Jmp(to) => t.pc = to,
                    Inst::Split(a, b) => {
                        // The second branch waits; each instruction is seen
                        // once per step, so the stack never overflows.
                        stack[depth] = Thread { pc: b, ..t };
                        depth += 1;
                        t.pc = a;
                    }
                    Inst::Save(slot) => {
                        if want > 0 && slot / 2 == want {
                            t.group[usize::from(slot & 1)] = pos as u32;
                        }
                        t.pc += 1;
                    }
                    Inst::Bol if pos == 0 => t.pc += 1,
                    Inst::Eol if pos == text.len() => t.pc += 1,
                    Inst::Bol | Inst::Eol => break,
                    _ => {
                        list[n] = t;
                        n += 1;
                        break;
                    }
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;
    use std::ffi::CString;
    use std::vec::Vec;

    fn compile(p: &str) -> Result<Box<Regex>, Error> {
        let mut re = Box::new(Regex::empty());
        re.compile_into(p.as_bytes(), &mut Box::new(Scratch::new()))?;
        Ok(re)
    }

    fn find(p: &str, text: &str, group: usize) -> Option<Match> {
        let mut scratch = Box::new(Scratch::new());
        compile(p).unwrap().find(text.as_bytes(), group, &mut scratch)
    }

    /// glibc's regexec with REG_EXTENDED: the whole match's span.
    fn posix(p: &str, text: &str) -> Option<(usize, usize)> {
        let pat = CString::new(p).unwrap();
        let txt = CString::new(text).unwrap();
        // SAFETY: regcomp/regexec/regfree on a zeroed regex_t, as libc's
        // documentation describes; the strings are NUL-terminated.
        unsafe {
            let mut re: libc::regex_t = core::mem::zeroed();
            assert_eq!(libc::regcomp(&mut re, pat.as_ptr(), libc::REG_EXTENDED), 0, "glibc refuses {p}");
            let mut m = [libc::regmatch_t { rm_so: -1, rm_eo: -1 }; 1];
            let rc = libc::regexec(&re, txt.as_ptr(), 1, m.as_mut_ptr(), 0);
            libc::regfree(&mut re);
            (rc == 0).then(|| (m[0].rm_so as usize, m[0].rm_eo as usize))
        }
    }

    #[test]
    fn matches_as_glibc_does() {
        let patterns = [
            "^/images/", ".*", "abc", "a|b", "a*", "(a|ab)(c|bcd)(d*)", "x(a|ab)*y", "[0-9]+\\.html$",
            "^GET /(cgi-bin|scripts)/", "[[:alpha:]]+[[:digit:]]{2,3}", "a{3}", "a{2,}", "(ab){1,2}c",
            "[^/]+$", "\\.(gif|jpe?g|png)$", "(a*)*b", "(a|b)*abb", "^$", "[]a]+", "[a-]+", "colou?r",
            "(x+x+)+y", "^(/[a-z]+)+/?$", "[[:space:]]", "(a|)+b", "b+$",
        ];
        let texts = [
            "", "/images/logo.gif", "/index.html", "GET /cgi-bin/x HTTP/1.1", "abcd", "xababy", "aaab",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "abd", "ab]a-", "color colour", "abcabcabc", "/a/bb/ccc/",
            "word123 word4567", "a b\tc", "bbb", "aababb",
        ];
        let mut checked = 0;
        for p in patterns {
            for t in texts {
                let ours = find(p, t, 0).map(|m| (m.start, m.end));
                assert_eq!(ours, posix(p, t), "pattern {p:?} on {t:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, patterns.len() * texts.len());
    }

    /// A small deterministic random number generator (an LCG).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    /// A random pattern of the ERE subset every engine reads alike.
    fn random_pattern(rng: &mut Rng, depth: u32) -> std::string::String {
        let mut out = std::string::String::new();
        for _ in 0..1 + rng.below(3) {
            match rng.below(if depth > 0 { 7 } else { 6 }) {
                0 => out.push('a'),
                1 => out.push('b'),
                2 => out.push('.'),
                3 => out.push_str("[ab]"),
                4 => out.push_str("[^a]"),
                5 => out.push('c'),
                _ => {
                    let inner = random_pattern(rng, depth - 1);
                    out.push_str(&std::format!("({inner})"));
                }
            }
            out.push_str(["", "", "*", "+", "?", "{1,2}", "{2}"][rng.below(7) as usize]);
        }
        if depth > 0 && rng.below(4) == 0 {
            out.push('|');
            out.push_str(&random_pattern(rng, depth - 1));
        }
        out
    }

    #[test]
    fn random_patterns_match_as_glibc_does() {
        let mut rng = Rng(0x5eed);
        for _ in 0..3000 {
            let mut p = random_pattern(&mut rng, 2);
            if rng.below(5) == 0 {
                p.insert(0, '^');
            }
            if rng.below(5) == 0 {
                p.push('$');
            }
            let len = rng.below(9);
            let text: std::string::String = (0..len).map(|_| ['a', 'b', 'c'][rng.below(3) as usize]).collect();
            let ours = find(&p, &text, 0).map(|m| (m.start, m.end));
            assert_eq!(ours, posix(&p, &text), "pattern {p:?} on {text:?}");
        }
    }

    #[test]
    fn captures_a_group() {
        let m = find("^/([a-z]+)/", "/users/42", 1).unwrap();
        assert_eq!((m.start, m.end, m.group), (0, 7, Some((1, 6))));
        let m = find("user=([0-9]+)", "GET /x?user=1234&y", 1).unwrap();
        assert_eq!(m.group, Some((12, 16)));
        // A group that took no part.
        assert_eq!(find("a|(b)", "a", 1).unwrap().group, None);
        assert_eq!(compile("(a)(b(c))").unwrap().groups(), 3);
    }

    #[test]
    fn bad_patterns_are_refused() {
        for (p, e) in [
            ("(ab", Error::Paren),
            ("ab)", Error::Paren),
            ("[ab", Error::Bracket),
            ("[z-a]", Error::Bracket),
            ("[[:nosuch:]]", Error::Bracket),
            ("a{2,1}", Error::Brace),
            ("a{1", Error::Brace),
            ("a{256}", Error::Brace),
            ("*a", Error::Repeat),
            ("a|*", Error::Repeat),
            ("a\\", Error::Escape),
            ("(a{255}){255}", Error::TooBig),
            ("((((((((((a))))))))))", Error::TooBig),
            ("a**", Error::Repeat),
            ("a{1}{2}", Error::Repeat),
            ("a+?", Error::Repeat),
        ] {
            assert_eq!(compile(p).err(), Some(e), "{p}");
        }
    }

    #[test]
    fn repeats_of_nothing_compile_at_once() {
        // Groups past the ninth record nothing: 255^4 copies of nothing
        // would take ages to walk.
        let re = compile("()()()()()()()()()((((a{0}){255}){255}){255}){255}b").unwrap();
        assert_eq!(find_with(&re, "xab", 0).map(|m| (m.start, m.end)), Some((2, 3)));
        let re = compile("(x{0})*c").unwrap();
        assert_eq!(find_with(&re, "abc", 0).map(|m| (m.start, m.end)), Some((2, 3)));
        assert_eq!(compile("(a{255}){5}").err(), Some(Error::TooBig));
    }

    fn find_with(re: &Regex, text: &str, group: usize) -> Option<Match> {
        re.find(text.as_bytes(), group, &mut Box::new(Scratch::new()))
    }

    #[test]
    fn hostile_input_takes_linear_time() {
        // Catastrophic for backtracking engines: here one pass.
        let re = compile("(x+x+)+y").unwrap();
        let text: Vec<u8> = std::vec![b'x'; 100_000];
        let mut scratch = Box::new(Scratch::new());
        assert_eq!(re.find(&text, 0, &mut scratch), None);
        let re = compile("(a|aa)*(a|aa)*(a|aa)*c").unwrap();
        let text: Vec<u8> = std::vec![b'a'; 100_000];
        assert_eq!(re.find(&text, 0, &mut scratch), None);
    }
}
