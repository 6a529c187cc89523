(module
  (type (;0;) (func (param i32 i32 i32 i32)))
  (type (;1;) (func (param i32 i32 i32)))
  (type (;2;) (func (param f64) (result f64)))
  (type (;3;) (func (param i32 i32 f64 i32)))
  (type (;4;) (func (param i32 i32 i64 i32)))
  (type (;5;) (func (param i32 f64 i32)))
  (type (;6;) (func (param i32 i32) (result f64)))
  (import "env" "ext" (func (;0;) (type 2)))
  (import "env" "memory" (memory (;0;) 2))
  (func (;1;) (type 3) (param i32 i32 f64 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 3
      i32.const 1
      i32.and
      local.set 6
      local.get 3
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 3
        i32.const -2
        i32.and
        local.set 7
        local.get 0
        local.set 3
        local.get 1
        local.set 4
        loop  ;; label = @3
          local.get 3
          local.get 2
          local.get 4
          f64.load
          f64.mul
          local.get 3
          f64.load
          f64.add
          f64.store
          local.get 3
          i32.const 8
          i32.add
          local.tee 8
          local.get 2
          local.get 4
          i32.const 8
          i32.add
          f64.load
          f64.mul
          local.get 8
          f64.load
          f64.add
          f64.store
          local.get 3
          i32.const 16
          i32.add
          local.set 3
          local.get 4
          i32.const 16
          i32.add
          local.set 4
          local.get 7
          local.get 5
          i32.const 2
          i32.add
          local.tee 5
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 6
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 5
      i32.const 3
      i32.shl
      local.tee 3
      i32.add
      local.tee 4
      local.get 2
      local.get 1
      local.get 3
      i32.add
      f64.load
      f64.mul
      local.get 4
      f64.load
      f64.add
      f64.store
    end)
  (func (;2;) (type 0) (param i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 3
      i32.const 1
      i32.and
      local.set 7
      local.get 3
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 3
        i32.const -2
        i32.and
        local.set 8
        local.get 0
        local.set 3
        local.get 2
        local.set 5
        local.get 1
        local.set 6
        loop  ;; label = @3
          local.get 3
          local.get 5
          i32.load
          local.get 6
          i32.load
          i32.add
          i32.store
          local.get 3
          i32.const 4
          i32.add
          local.get 5
          i32.const 4
          i32.add
          i32.load
          local.get 6
          i32.const 4
          i32.add
          i32.load
          i32.add
          i32.store
          local.get 3
          i32.const 8
          i32.add
          local.set 3
          local.get 5
          i32.const 8
          i32.add
          local.set 5
          local.get 6
          i32.const 8
          i32.add
          local.set 6
          local.get 8
          local.get 4
          i32.const 2
          i32.add
          local.tee 4
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 7
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 4
      i32.const 2
      i32.shl
      local.tee 3
      i32.add
      local.get 2
      local.get 3
      i32.add
      i32.load
      local.get 1
      local.get 3
      i32.add
      i32.load
      i32.add
      i32.store
    end)
  (func (;3;) (type 0) (param i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 3
      i32.const 1
      i32.and
      local.set 6
      local.get 3
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 3
        i32.const -2
        i32.and
        local.set 7
        local.get 0
        local.set 3
        local.get 1
        local.set 4
        loop  ;; label = @3
          local.get 3
          local.get 3
          i32.load
          i32.const 23130
          i32.sub
          local.get 4
          i32.load
          local.get 2
          i32.mul
          i32.xor
          i32.store
          local.get 3
          i32.const 4
          i32.add
          local.tee 8
          local.get 8
          i32.load
          i32.const 23130
          i32.sub
          local.get 4
          i32.const 4
          i32.add
          i32.load
          local.get 2
          i32.mul
          i32.xor
          i32.store
          local.get 3
          i32.const 8
          i32.add
          local.set 3
          local.get 4
          i32.const 8
          i32.add
          local.set 4
          local.get 7
          local.get 5
          i32.const 2
          i32.add
          local.tee 5
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 6
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 5
      i32.const 2
      i32.shl
      local.tee 3
      i32.add
      local.tee 4
      local.get 4
      i32.load
      i32.const 23130
      i32.sub
      local.get 1
      local.get 3
      i32.add
      i32.load
      local.get 2
      i32.mul
      i32.xor
      i32.store
    end)
  (func (;4;) (type 1) (param i32 i32 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 2
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 2
      i32.const 1
      i32.and
      local.set 5
      local.get 2
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 2
        i32.const -2
        i32.and
        local.set 6
        local.get 1
        local.set 3
        local.get 0
        local.set 2
        loop  ;; label = @3
          local.get 2
          local.get 2
          f32.load
          f32.const 0x1.8p-1 (;=0.75;)
          f32.mul
          local.get 3
          f32.load
          f32.const 0x1p-2 (;=0.25;)
          f32.mul
          f32.add
          f32.store
          local.get 2
          i32.const 4
          i32.add
          local.tee 7
          local.get 7
          f32.load
          f32.const 0x1.8p-1 (;=0.75;)
          f32.mul
          local.get 3
          i32.const 4
          i32.add
          f32.load
          f32.const 0x1p-2 (;=0.25;)
          f32.mul
          f32.add
          f32.store
          local.get 3
          i32.const 8
          i32.add
          local.set 3
          local.get 2
          i32.const 8
          i32.add
          local.set 2
          local.get 6
          local.get 4
          i32.const 2
          i32.add
          local.tee 4
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 5
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 4
      i32.const 2
      i32.shl
      local.tee 2
      i32.add
      local.tee 3
      local.get 3
      f32.load
      f32.const 0x1.8p-1 (;=0.75;)
      f32.mul
      local.get 1
      local.get 2
      i32.add
      f32.load
      f32.const 0x1p-2 (;=0.25;)
      f32.mul
      f32.add
      f32.store
    end)
  (func (;5;) (type 4) (param i32 i32 i64 i32)
    (local i32 i32 i32 i32 i32 i64)
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 3
      i32.const 1
      i32.and
      local.set 6
      local.get 3
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 3
        i32.const -2
        i32.and
        local.set 7
        local.get 0
        local.set 3
        local.get 1
        local.set 4
        loop  ;; label = @3
          local.get 3
          local.get 4
          i64.load
          local.tee 9
          local.get 2
          i64.add
          local.get 3
          i64.load
          local.get 2
          i64.and
          i64.or
          local.get 9
          i64.sub
          i64.store
          local.get 3
          i32.const 8
          i32.add
          local.tee 8
          local.get 4
          i32.const 8
          i32.add
          i64.load
          local.tee 9
          local.get 2
          i64.add
          local.get 8
          i64.load
          local.get 2
          i64.and
          i64.or
          local.get 9
          i64.sub
          i64.store
          local.get 3
          i32.const 16
          i32.add
          local.set 3
          local.get 4
          i32.const 16
          i32.add
          local.set 4
          local.get 7
          local.get 5
          i32.const 2
          i32.add
          local.tee 5
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 6
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 5
      i32.const 3
      i32.shl
      local.tee 3
      i32.add
      local.tee 4
      local.get 1
      local.get 3
      i32.add
      i64.load
      local.tee 9
      local.get 2
      i64.add
      local.get 4
      i64.load
      local.get 2
      i64.and
      i64.or
      local.get 9
      i64.sub
      i64.store
    end)
  (func (;6;) (type 0) (param i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 3
      i32.const 1
      i32.and
      local.set 7
      local.get 3
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 3
        i32.const -2
        i32.and
        local.set 8
        local.get 0
        local.set 3
        local.get 2
        local.set 5
        local.get 1
        local.set 6
        loop  ;; label = @3
          local.get 3
          local.get 6
          f64.load
          local.get 5
          f64.load
          f64.div
          f64.const -0x1.8p+0 (;=-1.5;)
          f64.add
          f64.store
          local.get 3
          i32.const 8
          i32.add
          local.get 6
          i32.const 8
          i32.add
          f64.load
          local.get 5
          i32.const 8
          i32.add
          f64.load
          f64.div
          f64.const -0x1.8p+0 (;=-1.5;)
          f64.add
          f64.store
          local.get 3
          i32.const 16
          i32.add
          local.set 3
          local.get 5
          i32.const 16
          i32.add
          local.set 5
          local.get 6
          i32.const 16
          i32.add
          local.set 6
          local.get 8
          local.get 4
          i32.const 2
          i32.add
          local.tee 4
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 7
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 4
      i32.const 3
      i32.shl
      local.tee 3
      i32.add
      local.get 1
      local.get 3
      i32.add
      f64.load
      local.get 2
      local.get 3
      i32.add
      f64.load
      f64.div
      f64.const -0x1.8p+0 (;=-1.5;)
      f64.add
      f64.store
    end)
  (func (;7;) (type 5) (param i32 f64 i32)
    (local i32 i32 i32)
    block  ;; label = @1
      local.get 2
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 2
      i32.const 7
      i32.and
      local.set 5
      local.get 2
      i32.const 1
      i32.sub
      i32.const 7
      i32.ge_u
      if  ;; label = @2
        local.get 0
        i32.const 32
        i32.add
        local.set 3
        local.get 2
        i32.const -8
        i32.and
        local.set 2
        loop  ;; label = @3
          local.get 3
          local.get 1
          f64.store
          local.get 3
          i32.const 24
          i32.add
          local.get 1
          f64.store
          local.get 3
          i32.const 16
          i32.add
          local.get 1
          f64.store
          local.get 3
          i32.const 8
          i32.add
          local.get 1
          f64.store
          local.get 3
          i32.const 8
          i32.sub
          local.get 1
          f64.store
          local.get 3
          i32.const 16
          i32.sub
          local.get 1
          f64.store
          local.get 3
          i32.const 24
          i32.sub
          local.get 1
          f64.store
          local.get 3
          i32.const 32
          i32.sub
          local.get 1
          f64.store
          local.get 3
          i32.const -64
          i32.sub
          local.set 3
          local.get 2
          local.get 4
          i32.const 8
          i32.add
          local.tee 4
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 5
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 4
      i32.const 3
      i32.shl
      i32.add
      local.set 3
      loop  ;; label = @2
        local.get 3
        local.get 1
        f64.store
        local.get 3
        i32.const 8
        i32.add
        local.set 3
        local.get 5
        i32.const 1
        i32.sub
        local.tee 5
        br_if 0 (;@2;)
      end
    end)
  (func (;8;) (type 6) (param i32 i32) (result f64)
    (local f64 i32 i32 i32)
    local.get 1
    i32.const 0
    i32.le_s
    if  ;; label = @1
      f64.const 0x0p+0 (;=0;)
      return
    end
    local.get 1
    i32.const 3
    i32.and
    local.set 4
    block  ;; label = @1
      local.get 1
      i32.const 1
      i32.sub
      i32.const 3
      i32.lt_u
      if  ;; label = @2
        br 1 (;@1;)
      end
      local.get 1
      i32.const -4
      i32.and
      local.set 5
      local.get 0
      local.set 1
      loop  ;; label = @2
        local.get 2
        local.get 1
        f64.load
        f64.add
        local.get 1
        i32.const 8
        i32.add
        f64.load
        f64.add
        local.get 1
        i32.const 16
        i32.add
        f64.load
        f64.add
        local.get 1
        i32.const 24
        i32.add
        f64.load
        f64.add
        local.set 2
        local.get 1
        i32.const 32
        i32.add
        local.set 1
        local.get 5
        local.get 3
        i32.const 4
        i32.add
        local.tee 3
        i32.ne
        br_if 0 (;@2;)
      end
    end
    local.get 4
    if  ;; label = @1
      local.get 0
      local.get 3
      i32.const 3
      i32.shl
      i32.add
      local.set 1
      loop  ;; label = @2
        local.get 2
        local.get 1
        f64.load
        f64.add
        local.set 2
        local.get 1
        i32.const 8
        i32.add
        local.set 1
        local.get 4
        i32.const 1
        i32.sub
        local.tee 4
        br_if 0 (;@2;)
      end
    end
    local.get 2)
  (func (;9;) (type 1) (param i32 i32 i32)
    local.get 2
    i32.const 0
    i32.gt_s
    if  ;; label = @1
      loop  ;; label = @2
        local.get 0
        local.get 1
        f64.load
        call 0
        local.get 0
        f64.load
        f64.add
        f64.store
        local.get 1
        i32.const 8
        i32.add
        local.set 1
        local.get 0
        i32.const 8
        i32.add
        local.set 0
        local.get 2
        i32.const 1
        i32.sub
        local.tee 2
        br_if 0 (;@2;)
      end
    end)
  (func (;10;) (type 1) (param i32 i32 i32)
    (local i32 i32 i32 i32)
    block  ;; label = @1
      local.get 2
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 2
      i32.const 3
      i32.and
      local.set 4
      local.get 2
      i32.const 1
      i32.sub
      i32.const 3
      i32.ge_u
      if  ;; label = @2
        local.get 2
        i32.const -4
        i32.and
        local.set 6
        loop  ;; label = @3
          local.get 0
          local.get 3
          i32.add
          local.tee 2
          local.get 1
          local.get 3
          i32.add
          local.tee 5
          i32.load8_u
          i32.const 1
          i32.add
          i32.store8
          local.get 2
          i32.const 1
          i32.add
          local.get 5
          i32.const 1
          i32.add
          i32.load8_u
          i32.const 1
          i32.add
          i32.store8
          local.get 2
          i32.const 2
          i32.add
          local.get 5
          i32.const 2
          i32.add
          i32.load8_u
          i32.const 1
          i32.add
          i32.store8
          local.get 2
          i32.const 3
          i32.add
          local.get 5
          i32.const 3
          i32.add
          i32.load8_u
          i32.const 1
          i32.add
          i32.store8
          local.get 6
          local.get 3
          i32.const 4
          i32.add
          local.tee 3
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 4
      i32.eqz
      br_if 0 (;@1;)
      local.get 1
      local.get 3
      i32.add
      local.set 2
      local.get 0
      local.get 3
      i32.add
      local.set 3
      loop  ;; label = @2
        local.get 3
        local.get 2
        i32.load8_u
        i32.const 1
        i32.add
        i32.store8
        local.get 2
        i32.const 1
        i32.add
        local.set 2
        local.get 3
        i32.const 1
        i32.add
        local.set 3
        local.get 4
        i32.const 1
        i32.sub
        local.tee 4
        br_if 0 (;@2;)
      end
    end)
  (func (;11;) (type 0) (param i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 3
      i32.const 1
      i32.and
      local.set 6
      local.get 3
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 3
        i32.const -2
        i32.and
        local.set 7
        local.get 0
        local.set 3
        local.get 1
        local.set 4
        loop  ;; label = @3
          local.get 3
          local.get 3
          i32.load16_u
          local.get 4
          i32.load16_u
          local.get 2
          i32.mul
          i32.add
          i32.store16
          local.get 3
          i32.const 2
          i32.add
          local.tee 8
          local.get 8
          i32.load16_u
          local.get 4
          i32.const 2
          i32.add
          i32.load16_u
          local.get 2
          i32.mul
          i32.add
          i32.store16
          local.get 3
          i32.const 4
          i32.add
          local.set 3
          local.get 4
          i32.const 4
          i32.add
          local.set 4
          local.get 7
          local.get 5
          i32.const 2
          i32.add
          local.tee 5
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 6
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 5
      i32.const 1
      i32.shl
      local.tee 3
      i32.add
      local.tee 4
      local.get 4
      i32.load16_u
      local.get 1
      local.get 3
      i32.add
      i32.load16_u
      local.get 2
      i32.mul
      i32.add
      i32.store16
    end)
  (func (;12;) (type 1) (param i32 i32 i32)
    (local i32 i32 i32 i32)
    block  ;; label = @1
      local.get 2
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 2
      i32.const 1
      i32.and
      local.set 4
      local.get 2
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 2
        i32.const -2
        i32.and
        local.set 5
        loop  ;; label = @3
          local.get 0
          local.get 3
          i32.add
          local.tee 2
          local.get 1
          local.get 3
          i32.add
          local.tee 6
          i32.load8_u
          local.get 2
          i32.load8_u
          i32.sub
          i32.const 85
          i32.xor
          i32.store8
          local.get 2
          i32.const 1
          i32.add
          local.tee 2
          local.get 6
          i32.const 1
          i32.add
          i32.load8_u
          local.get 2
          i32.load8_u
          i32.sub
          i32.const 85
          i32.xor
          i32.store8
          local.get 5
          local.get 3
          i32.const 2
          i32.add
          local.tee 3
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 4
      i32.eqz
      br_if 0 (;@1;)
      local.get 0
      local.get 3
      i32.add
      local.tee 2
      local.get 1
      local.get 3
      i32.add
      i32.load8_u
      local.get 2
      i32.load8_u
      i32.sub
      i32.const 85
      i32.xor
      i32.store8
    end)
  (export "axpy" (func 1))
  (export "add_i32" (func 2))
  (export "mix_i32" (func 3))
  (export "blend_f32" (func 4))
  (export "ops_i64" (func 5))
  (export "div_f64" (func 6))
  (export "fill_f64" (func 7))
  (export "sum_f64" (func 8))
  (export "call_f64" (func 9))
  (export "inc_u8" (func 10))
  (export "mul_u16" (func 11))
  (export "mix_s8" (func 12)))
