//! A block's records as a parser thread leaves them for the store: compact records whose strings
//! and shared parts are interned in the chunk's own small tables, so a parser thread never
//! touches the store and the store thread does per record only what must be done in order
//! (folding by id, the phone lookup, appending the row).

use super::record::Skip;
use super::stats::{Emitter, Item, Loc};
use crate::error::Error;
use crate::ids::{IdHasher, Kind, Packed};
use crate::schema::Status;
use crate::store::{Attrs, Dest, Incoming, Interner, Sym};

/// One record of a chunk: an [`Incoming`] with chunk-local symbols.
#[derive(Debug, Clone, Copy)]
pub struct Rec {
    pub ts: Option<i64>,
    pub status_ts: Option<i64>,
    pub cost: Option<f64>,
    /// E.164 digits, or (with `dest_text`) the local symbol of the destination as read.
    pub dest: u64,
    pub dest_text: bool,
    /// The packed id (`has_id`); for [`Kind::Text`] its text is local symbol `id_text`.
    pub id: Packed,
    pub has_id: bool,
    pub id_text: Sym,
    /// [`IdHasher::hash`] of the id.
    pub id_hash: u64,
    /// Index into the chunk's attrs.
    pub attrs: u32,
    pub status: Status,
    pub converted: Option<bool>,
    pub country_hint: Option<[u8; 2]>,
    pub part: Option<(u32, u32)>,
}

impl Rec {
    /// A record to `dest` (digits, or a local symbol when `.1`) with its id (as [`Chunk::id`]
    /// gives it), attrs and status; times, cost, conversion, country hint and part unknown.
    pub fn new(dest: (u64, bool), (id, has_id, id_text, id_hash): (Packed, bool, Sym, u64), attrs: u32, status: Status) -> Rec {
        Rec {
            ts: None,
            status_ts: None,
            cost: None,
            dest: dest.0,
            dest_text: dest.1,
            id,
            has_id,
            id_text,
            id_hash,
            attrs,
            status,
            converted: None,
            country_hint: None,
            part: None,
        }
    }
}

impl Rec {
    /// Into the store as a row (or folded into its id's row): `texts` holds its destination and
    /// id texts, `attrs` is the store's.
    fn push(&self, texts: &Interner, attrs: u32, store: &mut crate::store::Store) {
        let dest = if self.dest_text { Dest::Text(texts.get(self.dest as Sym).unwrap_or("")) } else { Dest::E164(self.dest) };
        let inc = Incoming {
            ts: self.ts,
            status_ts: self.status_ts,
            dest,
            country_hint: self.country_hint,
            status: self.status,
            cost: self.cost,
            converted: self.converted,
            part: self.part,
            attrs,
        };
        let id =
            self.has_id.then(|| crate::ids::Incoming { packed: self.id, text: texts.get(self.id_text).unwrap_or(""), hash: self.id_hash });
        store.push(&inc, id);
    }
}

/// The records of one block, in order, with the block's skips.
#[derive(Default)]
pub struct Chunk {
    pub recs: Vec<Rec>,
    /// Records read but not used, in order.
    pub skips: Vec<(Loc, Skip)>,
    pub strings: Interner,
    /// Notes for the store (a JSON input's container), in order.
    pub items: Vec<Item>,
    /// Made from drafts (JSON lines): destination and id texts are kept apart in `texts`, and
    /// the store interns the records' strings row by row, in the order `Store::add` does.
    pub rowwise: bool,
    pub texts: Interner,
    attrs: Vec<Attrs>,
    attrs_index: crate::hash::Map<Attrs, u32>,
}

impl Chunk {
    /// The local index of `a` (whose symbols are this chunk's).
    pub fn attrs(&mut self, a: Attrs) -> u32 {
        if let Some(&i) = self.attrs_index.get(&a) {
            return i;
        }
        let i = self.attrs.len() as u32;
        self.attrs.push(a);
        self.attrs_index.insert(a, i);
        i
    }

    /// An id as read: packed, whether there is one, its text's symbol (kept only when it does
    /// not pack; in `texts` when the chunk is `rowwise`), and its hash.
    pub fn id(&mut self, text: Option<&str>, hasher: &IdHasher) -> (Packed, bool, Sym, u64) {
        match text {
            None => (Packed { kind: Kind::Text, bytes: [0; 16] }, false, 0, 0),
            Some(t) => {
                let p = crate::ids::pack(t.as_bytes());
                let table = if self.rowwise { &mut self.texts } else { &mut self.strings };
                let sym = if p.kind == Kind::Text { table.intern(Some(t)) } else { 0 };
                (p, true, sym, hasher.hash(&p, t))
            }
        }
    }

    /// Empty, keeping the memory (chunks go back to the parser threads: fresh memory for every
    /// block had cost a tenth of the run in page faults).
    pub fn clear(&mut self) {
        self.recs.clear();
        self.skips.clear();
        self.items.clear();
        self.texts.clear();
        self.strings.clear();
        self.attrs.clear();
        self.attrs_index.clear();
    }

    /// Count the chunk's records into the input's stats and its rows into the store, in order.
    pub fn merge(&mut self, em: &mut Emitter) -> Result<(), Error> {
        for (loc, skip) in self.skips.drain(..) {
            em.malformed(loc, skip)?;
        }
        if self.rowwise {
            return self.merge_rowwise(em);
        }
        // Local symbols and attrs to the store's, each distinct one once.
        let syms: Vec<Sym> = (0..self.strings.len() as Sym).map(|s| em.store.strings.intern(self.strings.get(s))).collect();
        let g = |s: Sym| syms.get(s as usize).copied().unwrap_or(0);
        let attrs: Vec<u32> = self
            .attrs
            .iter()
            .map(|a| {
                em.store.intern_attrs(Attrs {
                    source_format: em.format,
                    source_file: em.file,
                    account: g(a.account),
                    sender: g(a.sender),
                    status_raw: g(a.status_raw),
                    error_code: g(a.error_code),
                    currency: g(a.currency),
                    body_template: g(a.body_template),
                    mcc: g(a.mcc),
                    mnc: g(a.mnc),
                    carrier: g(a.carrier),
                    ..*a
                })
            })
            .collect();
        em.stats.rows_read += self.recs.len() as u64;
        em.stats.rows_used += self.recs.len() as u64;
        let strings = &self.strings;
        // How many records ahead to touch the id index (see [`crate::ids::Ids::prefetch`]).
        const AHEAD: usize = 12;
        for (i, r) in self.recs.iter().enumerate() {
            if let Some(ahead) = self.recs.get(i + AHEAD).filter(|a| a.has_id) {
                em.store.ids.prefetch(ahead.id_hash);
            }
            r.push(strings, attrs.get(r.attrs as usize).copied().unwrap_or(0), em.store);
        }
        for item in self.items.drain(..) {
            super::stats::consume(em, item)?;
        }
        Ok(())
    }

    /// [`Chunk::merge`] for records made from drafts: each record's attrs (and their strings, in
    /// field order) are interned when first used, and texts go to the store as `Store::add` gives
    /// them, so the store's symbols come out as reading the records one by one makes them.
    fn merge_rowwise(&mut self, em: &mut Emitter) -> Result<(), Error> {
        const UNSEEN: u32 = u32::MAX;
        let mut syms: Vec<Sym> = vec![UNSEEN; self.strings.len()];
        let mut attrs_of: Vec<u32> = vec![UNSEEN; self.attrs.len()];
        em.stats.rows_read += self.recs.len() as u64;
        em.stats.rows_used += self.recs.len() as u64;
        for r in &self.recs {
            let a = match attrs_of.get(r.attrs as usize).copied() {
                Some(a) if a != UNSEEN => a,
                _ => {
                    let Some(local) = self.attrs.get(r.attrs as usize).copied() else { continue };
                    let (strings, store) = (&self.strings, &mut *em.store);
                    let mut g = |s: Sym| -> Sym {
                        match syms.get(s as usize).copied() {
                            _ if s == 0 => 0,
                            Some(v) if v != UNSEEN => v,
                            _ => {
                                let v = store.strings.intern(strings.get(s));
                                if let Some(slot) = syms.get_mut(s as usize) {
                                    *slot = v;
                                }
                                v
                            }
                        }
                    };
                    // Field by field, in the order `Store::add` interns them.
                    let mapped = Attrs {
                        source_format: em.format,
                        source_file: em.file,
                        account: g(local.account),
                        sender: g(local.sender),
                        status_raw: g(local.status_raw),
                        error_code: g(local.error_code),
                        currency: g(local.currency),
                        body_template: g(local.body_template),
                        mcc: g(local.mcc),
                        mnc: g(local.mnc),
                        carrier: g(local.carrier),
                        ..local
                    };
                    let a = em.store.intern_attrs(mapped);
                    if let Some(slot) = attrs_of.get_mut(r.attrs as usize) {
                        *slot = a;
                    }
                    a
                }
            };
            r.push(&self.texts, a, em.store);
        }
        for item in self.items.drain(..) {
            super::stats::consume(em, item)?;
        }
        Ok(())
    }
}
