"""A minimal perfect hash for a fixed set of names, found at generation time (hash and displace).

A name's 64-bit FNV-1a hash (with a final mix) picks a bucket by its top bits; each bucket holds a seed, chosen here
so that every name of the bucket lands in a slot no other name has. A lookup is then one pass
over the name, two table reads and one comparison with the name in the slot: no scan.

The generated C++ computes the same functions; `fold_case` hashes each byte ORed with 0x20, so
that the two cases of an ASCII letter hash alike (other bytes may collide too, which only costs
the final comparison a mismatch).
"""

from __future__ import annotations

from dataclasses import dataclass

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
SEED_STEP = 0x9E3779B97F4A7C15
MIX = 0xD6E8FEB86659FD93


FINAL_1 = 0xFF51AFD7ED558CCD
FINAL_2 = 0xC4CEB9FE1A85EC53


def fnv1a(data: bytes, fold_case: bool) -> int:
    """FNV-1a, then a finalizer (MurmurHash3's): FNV's top bits hardly depend on the last bytes,
    and the top bits pick the bucket."""
    h = FNV_OFFSET
    for byte in data:
        h ^= byte | 0x20 if fold_case else byte
        h = (h * FNV_PRIME) & MASK
    h ^= h >> 33
    h = (h * FINAL_1) & MASK
    h ^= h >> 33
    h = (h * FINAL_2) & MASK
    h ^= h >> 33
    return h


def slot_of(h: int, seed: int, slot_bits: int) -> int:
    x = h ^ ((seed * SEED_STEP) & MASK)
    x ^= x >> 32
    x = (x * MIX) & MASK
    return x >> (64 - slot_bits)


@dataclass
class PerfectHash:
    bucket_bits: int
    slot_bits: int
    seeds: list[int]   # per bucket
    slots: list[int]   # per slot: position of the name + 1, or 0


def build(names: list[str], fold_case: bool) -> PerfectHash:
    """Seeds and slots for `names`, with at least twice as many slots as names."""
    slot_bits = max(4, (2 * len(names) - 1).bit_length())
    bucket_bits = max(2, slot_bits - 2)
    hashes = [fnv1a(n.encode("ascii"), fold_case) for n in names]
    buckets: dict[int, list[int]] = {}
    for index, h in enumerate(hashes):
        buckets.setdefault(h >> (64 - bucket_bits), []).append(index)
    seeds = [0] * (1 << bucket_bits)
    slots = [0] * (1 << slot_bits)
    # Biggest buckets first, while the table is emptiest; ties by bucket number, for output that
    # is the same on every run.
    for bucket, members in sorted(buckets.items(), key=lambda item: (-len(item[1]), item[0])):
        for seed in range(1 << 16):
            wanted = [slot_of(hashes[i], seed, slot_bits) for i in members]
            if len(set(wanted)) == len(wanted) and all(slots[s] == 0 for s in wanted):
                break
        else:
            raise ValueError(f"no seed separates bucket {bucket} ({', '.join(names[i] for i in members)})")
        seeds[bucket] = seed
        for i, s in zip(members, wanted):
            slots[s] = i + 1
    return PerfectHash(bucket_bits, slot_bits, seeds, slots)


def lookup(table: PerfectHash, names: list[str], name: str, fold_case: bool) -> int | None:
    """What the generated C++ does, for the generator's own check of the table."""
    h = fnv1a(name.encode("latin-1"), fold_case)
    slot = table.slots[slot_of(h, table.seeds[h >> (64 - table.bucket_bits)], table.slot_bits)]
    if slot == 0:
        return None
    candidate = names[slot - 1]
    same = candidate.lower() == name.lower() if fold_case else candidate == name
    return slot - 1 if same else None
