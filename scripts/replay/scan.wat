;; Replay's record scanner in WebAssembly: the validating JSON scan of one CloudTrail record that
;; scripts/replay/scan.ts (RecordScanner) runs for every record of a log file. Same grammar, same verdicts, same
;; captures as the TypeScript it replaced (kept in the property tests as the reference: __tests__/scripts/
;; replay-scan.test.ts); compiled by `npm run gen:replay-scan` into scripts/replay/scan-wasm.ts. Strings are searched
;; 16 bytes at a time (SIMD) for their closing quote, a backslash or a control character.
;;
;; Memory (offsets in bytes; the layout constants are repeated in scan.ts):
;;   0     per key slot (at most 128): the captured value's kind (0 absent, 1 plain string, 2 other)
;;   128   per slot: the value's first byte (i32, relative to DATA)
;;   640   per slot: the index after its last byte (i32, relative to DATA)
;;   1152  1 when a string of the record holds a backslash; 1153: 1 when a top-level key does
;;   1280  per listed key: its length (i32) and the offset of its bytes (i32)
;;   2304  the listed keys' bytes
;;   65536 DATA: the buffer being scanned, then at least 16 bytes of slack
;;
;; `record(i, n)` scans the record at absolute address i of a buffer ending at n. It returns the absolute index after
;; the record, -1 when the buffer ends first, or -2 - reason when JSON.parse would fail (reasons: see scan.ts).
(module
  (memory (export "memory") 2)
  (global $n (mut i32) (i32.const 0))
  (global $nkeys (mut i32) (i32.const 0))
  ;; Kind of the value last scanned by $value; whether the string last scanned by $string held an escape.
  (global $vk (mut i32) (i32.const 0))
  (global $esc (mut i32) (i32.const 0))

  (func (export "init") (param $nkeys i32)
    (global.set $nkeys (local.get $nkeys)))

  (func (export "record") (param $i i32) (param $n i32) (result i32)
    (local $k i32)
    (global.set $n (local.get $n))
    (local.set $k (i32.const 0))
    (block $cleared
      (loop $clear
        (br_if $cleared (i32.ge_u (local.get $k) (global.get $nkeys)))
        (i32.store8 (local.get $k) (i32.const 0))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $clear)))
    (i32.store16 (i32.const 1152) (i32.const 0))
    (local.set $i (call $skip (local.get $i)))
    (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
    ;; reason 0: a record that is not an object
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7b)) (then (return (i32.const -2))))
    (call $object (local.get $i) (i32.const 1)))

  ;; The first index at or after i that is not JSON white space (n if none).
  (func $skip (param $i i32) (result i32)
    (local $b i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (global.get $n)))
        (local.set $b (i32.load8_u (local.get $i)))
        (br_if $done (i32.gt_u (local.get $b) (i32.const 0x20)))
        (br_if $done
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $b) (i32.const 0x20)) (i32.eq (local.get $b) (i32.const 0x0a)))
              (i32.or (i32.eq (local.get $b) (i32.const 0x0d)) (i32.eq (local.get $b) (i32.const 0x09))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))

  (func $object (param $i i32) (param $depth i32) (result i32)
    (local $c i32) (local $j i32) (local $slot i32)
    (local.set $i (call $skip (i32.add (local.get $i) (i32.const 1))))
    (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (i32.const 0x7d)) (then (return (i32.add (local.get $i) (i32.const 1)))))
    (loop $member
      ;; reason 1: expected a key
      (if (i32.ne (local.get $c) (i32.const 0x22)) (then (return (i32.const -3))))
      (local.set $j (call $string (local.get $i)))
      (if (i32.lt_s (local.get $j) (i32.const 0)) (then (return (local.get $j))))
      (local.set $slot (i32.const -1))
      (if (i32.eq (local.get $depth) (i32.const 1))
        (then
          (if (global.get $esc)
            (then (i32.store8 (i32.const 1153) (i32.const 1)))
            (else
              (local.set $slot
                (call $lookup (i32.add (local.get $i) (i32.const 1)) (i32.sub (local.get $j) (i32.const 1))))))))
      (local.set $i (local.get $j))
      (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a))
        (then
          (local.set $i (call $skip (local.get $i)))
          (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
          ;; reason 2: expected ':'
          (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const -4))))))
      (local.set $i (call $skip (i32.add (local.get $i) (i32.const 1))))
      (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
      (local.set $j (call $value (local.get $i) (i32.load8_u (local.get $i)) (local.get $depth)))
      (if (i32.lt_s (local.get $j) (i32.const 0)) (then (return (local.get $j))))
      ;; A repeated key: JSON.parse keeps the last value, and so does this.
      (if (i32.ge_s (local.get $slot) (i32.const 0))
        (then
          (i32.store8 (local.get $slot) (global.get $vk))
          (i32.store offset=128
            (i32.shl (local.get $slot) (i32.const 2)) (i32.sub (local.get $i) (i32.const 65536)))
          (i32.store offset=640
            (i32.shl (local.get $slot) (i32.const 2)) (i32.sub (local.get $j) (i32.const 65536)))))
      (local.set $i (call $skip (local.get $j)))
      (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.eq (local.get $c) (i32.const 0x7d)) (then (return (i32.add (local.get $i) (i32.const 1)))))
      ;; reason 3: expected ',' or '}'
      (if (i32.ne (local.get $c) (i32.const 0x2c)) (then (return (i32.const -5))))
      (local.set $i (call $skip (i32.add (local.get $i) (i32.const 1))))
      (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $i)))
      (br $member))
    (unreachable))

  (func $array (param $i i32) (param $depth i32) (result i32)
    (local $c i32) (local $j i32)
    (local.set $i (call $skip (i32.add (local.get $i) (i32.const 1))))
    (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $c) (i32.const 0x5d)) (then (return (i32.add (local.get $i) (i32.const 1)))))
    (loop $element
      (local.set $j (call $value (local.get $i) (local.get $c) (local.get $depth)))
      (if (i32.lt_s (local.get $j) (i32.const 0)) (then (return (local.get $j))))
      (local.set $i (call $skip (local.get $j)))
      (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.eq (local.get $c) (i32.const 0x5d)) (then (return (i32.add (local.get $i) (i32.const 1)))))
      ;; reason 4: expected ',' or ']'
      (if (i32.ne (local.get $c) (i32.const 0x2c)) (then (return (i32.const -6))))
      (local.set $i (call $skip (i32.add (local.get $i) (i32.const 1))))
      (if (i32.ge_u (local.get $i) (global.get $n)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $i)))
      (br $element))
    (unreachable))

  ;; The index after the value that starts with c at i, in a container at nesting depth; sets $vk.
  (func $value (param $i i32) (param $c i32) (param $depth i32) (result i32)
    (local $j i32)
    (if (i32.eq (local.get $c) (i32.const 0x22))
      (then
        (local.set $j (call $string (local.get $i)))
        (global.set $vk (select (i32.const 2) (i32.const 1) (global.get $esc)))
        (return (local.get $j))))
    (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
      (then
        ;; reason 5: nesting too deep
        (if (i32.ge_u (local.get $depth) (i32.const 256)) (then (return (i32.const -7))))
        (local.set $j
          (if (result i32) (i32.eq (local.get $c) (i32.const 0x7b))
            (then (call $object (local.get $i) (i32.add (local.get $depth) (i32.const 1))))
            (else (call $array (local.get $i) (i32.add (local.get $depth) (i32.const 1))))))
        (global.set $vk (i32.const 2))
        (return (local.get $j))))
    (global.set $vk (i32.const 2))
    (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))
      (then (return (call $number (local.get $i)))))
    ;; true, null (the first byte is known), false
    (if (i32.eq (local.get $c) (i32.const 0x74))
      (then (return (call $literal (local.get $i) (i32.const 4) (i32.const 0) (i32.const 0x65757274)))))
    (if (i32.eq (local.get $c) (i32.const 0x6e))
      (then (return (call $literal (local.get $i) (i32.const 4) (i32.const 0) (i32.const 0x6c6c756e)))))
    (if (i32.eq (local.get $c) (i32.const 0x66))
      (then (return (call $literal (local.get $i) (i32.const 5) (i32.const 1) (i32.const 0x65736c61)))))
    ;; reason 6: not a JSON value
    (i32.const -8))

  ;; A literal of len bytes at i whose 4 bytes at i + at are word.
  (func $literal (param $i i32) (param $len i32) (param $at i32) (param $word i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $i) (local.get $len)) (global.get $n)) (then (return (i32.const -1))))
    ;; reason 7: bad literal
    (if (i32.ne (i32.load (i32.add (local.get $i) (local.get $at))) (local.get $word)) (then (return (i32.const -9))))
    (i32.add (local.get $i) (local.get $len)))

  (func $digit (param $b i32) (result i32)
    (i32.lt_u (i32.sub (local.get $b) (i32.const 0x30)) (i32.const 10)))

  ;; The index after the number at i, or -1 if the buffer ends inside it (a number is only known to be complete once
  ;; something follows it).
  (func $number (param $i i32) (result i32)
    (local $j i32) (local $from i32) (local $b i32)
    (local.set $j (local.get $i))
    (if (i32.eq (i32.load8_u (local.get $j)) (i32.const 0x2d)) (then (local.set $j (i32.add (local.get $j) (i32.const 1)))))
    (if (i32.ge_u (local.get $j) (global.get $n)) (then (return (i32.const -1))))
    (local.set $b (i32.load8_u (local.get $j)))
    (if (i32.eq (local.get $b) (i32.const 0x30))
      (then (local.set $j (i32.add (local.get $j) (i32.const 1))))
      (else
        ;; reason 8: bad number
        (if (i32.eqz (call $digit (local.get $b))) (then (return (i32.const -10))))
        (local.set $j (call $digits (local.get $j)))))
    (if (i32.lt_u (local.get $j) (global.get $n))
      (then
        (if (i32.eq (i32.load8_u (local.get $j)) (i32.const 0x2e))
          (then
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (local.set $from (local.get $j))
            (local.set $j (call $digits (local.get $j)))
            (if (i32.and (i32.eq (local.get $j) (local.get $from)) (i32.lt_u (local.get $j) (global.get $n)))
              (then (return (i32.const -10))))))))
    (if (i32.lt_u (local.get $j) (global.get $n))
      (then
        (local.set $b (i32.load8_u (local.get $j)))
        (if (i32.or (i32.eq (local.get $b) (i32.const 0x65)) (i32.eq (local.get $b) (i32.const 0x45)))
          (then
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (if (i32.lt_u (local.get $j) (global.get $n))
              (then
                (local.set $b (i32.load8_u (local.get $j)))
                (if (i32.or (i32.eq (local.get $b) (i32.const 0x2b)) (i32.eq (local.get $b) (i32.const 0x2d)))
                  (then (local.set $j (i32.add (local.get $j) (i32.const 1)))))))
            (local.set $from (local.get $j))
            (local.set $j (call $digits (local.get $j)))
            (if (i32.and (i32.eq (local.get $j) (local.get $from)) (i32.lt_u (local.get $j) (global.get $n)))
              (then (return (i32.const -10))))))))
    (if (result i32) (i32.ge_u (local.get $j) (global.get $n)) (then (i32.const -1)) (else (local.get $j))))

  ;; The first index at or after j that is not a digit (n if none).
  (func $digits (param $j i32) (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $j) (global.get $n)))
        (br_if $done (i32.eqz (call $digit (i32.load8_u (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l)))
    (local.get $j))

  (func $hex (param $b i32) (result i32)
    (i32.or
      (call $digit (local.get $b))
      (i32.lt_u (i32.sub (i32.or (local.get $b) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; The index after the string that opens at i, or -1 if the buffer ends first; sets $esc (and the record's
  ;; backslash flag).
  (func $string (param $i i32) (result i32)
    (local $j i32) (local $c i32) (local $e i32) (local $v v128) (local $m i32)
    (global.set $esc (i32.const 0))
    (local.set $j (i32.add (local.get $i) (i32.const 1)))
    (loop $l
      ;; 16 bytes at a time while they are all there: skip to the first quote, backslash or control character.
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (global.get $n))
        (then
          (local.set $v (v128.load (local.get $j)))
          (local.set $m
            (i8x16.bitmask
              (v128.or
                (v128.or
                  (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))
                  (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c)))
                (i8x16.lt_u (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20)))))
          (if (i32.eqz (local.get $m))
            (then
              (local.set $j (i32.add (local.get $j) (i32.const 16)))
              (br $l)))
          (local.set $j (i32.add (local.get $j) (i32.ctz (local.get $m))))))
      (if (i32.ge_u (local.get $j) (global.get $n)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $j)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $j) (i32.const 1)))))
      (if (i32.eq (local.get $c) (i32.const 0x5c))
        (then
          (global.set $esc (i32.const 1))
          (i32.store8 (i32.const 1152) (i32.const 1))
          (if (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (global.get $n)) (then (return (i32.const -1))))
          (local.set $e (i32.load8_u (i32.add (local.get $j) (i32.const 1))))
          ;; " \ / b f n r t
          (if (i32.or
                (i32.or
                  (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
                  (i32.or (i32.eq (local.get $e) (i32.const 0x2f)) (i32.eq (local.get $e) (i32.const 0x62))))
                (i32.or
                  (i32.or (i32.eq (local.get $e) (i32.const 0x66)) (i32.eq (local.get $e) (i32.const 0x6e)))
                  (i32.or (i32.eq (local.get $e) (i32.const 0x72)) (i32.eq (local.get $e) (i32.const 0x74)))))
            (then
              (local.set $j (i32.add (local.get $j) (i32.const 2)))
              (br $l)))
          ;; reason 9: bad escape
          (if (i32.ne (local.get $e) (i32.const 0x75)) (then (return (i32.const -11))))
          (if (i32.gt_u (i32.add (local.get $j) (i32.const 6)) (global.get $n)) (then (return (i32.const -1))))
          ;; reason 10: bad \u escape
          (if (i32.eqz
                (i32.and
                  (i32.and
                    (call $hex (i32.load8_u offset=2 (local.get $j)))
                    (call $hex (i32.load8_u offset=3 (local.get $j))))
                  (i32.and
                    (call $hex (i32.load8_u offset=4 (local.get $j)))
                    (call $hex (i32.load8_u offset=5 (local.get $j))))))
            (then (return (i32.const -12))))
          (local.set $j (i32.add (local.get $j) (i32.const 6)))
          (br $l)))
      ;; reason 11: a control character in a string
      (if (i32.lt_u (local.get $c) (i32.const 0x20)) (then (return (i32.const -13))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))
    (unreachable))

  ;; The slot of the listed key whose bytes are [from, to), or -1.
  (func $lookup (param $from i32) (param $to i32) (result i32)
    (local $len i32) (local $k i32) (local $at i32) (local $q i32)
    (local.set $len (i32.sub (local.get $to) (local.get $from)))
    (block $none
      (loop $key
        (br_if $none (i32.ge_u (local.get $k) (global.get $nkeys)))
        (if (i32.eq (i32.load offset=1280 (i32.shl (local.get $k) (i32.const 3))) (local.get $len))
          (then
            (local.set $at (i32.load offset=1284 (i32.shl (local.get $k) (i32.const 3))))
            (local.set $q (i32.const 0))
            (block $differ
              (loop $byte
                (if (i32.ge_u (local.get $q) (local.get $len)) (then (return (local.get $k))))
                (br_if $differ
                  (i32.ne
                    (i32.load8_u (i32.add (local.get $at) (local.get $q)))
                    (i32.load8_u (i32.add (local.get $from) (local.get $q)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $byte)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $key)))
    (i32.const -1)))
