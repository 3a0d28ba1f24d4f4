import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { crc32, gzipStored, readTar, tarSingleFile } from "../../../../cli/lib/oci/tar";

describe("tarSingleFile", () => {
  test("writes a ustar header with every variable field fixed", () => {
    const tar = tarSingleFile("plugin.wasm", Buffer.from("abc"));
    const header = tar.subarray(0, 512);
    const field = (start: number, width: number) => header.subarray(start, start + width).toString("latin1");
    expect(field(0, 11)).toBe("plugin.wasm");
    expect(field(100, 8)).toBe("0000644\0"); // mode
    expect(field(108, 8)).toBe("0000000\0"); // uid
    expect(field(116, 8)).toBe("0000000\0"); // gid
    expect(field(124, 12)).toBe("00000000003\0"); // size
    expect(field(136, 12)).toBe("00000000000\0"); // mtime = epoch
    expect(field(156, 1)).toBe("0"); // regular file
    expect(field(257, 8)).toBe("ustar\u000000");
    expect(header.subarray(265, 329).every((b) => b === 0)).toBe(true); // empty uname/gname
    // Checksum: the byte sum of the header with the checksum field read as spaces.
    const sum = [...header].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 0x20 : b), 0);
    expect(parseInt(field(148, 6), 8)).toBe(sum);
    // Data padded to a block, then two zero blocks.
    expect(tar.length).toBe(512 + 512 + 1024);
  });

  test("round-trips through the reader, including sizes on block boundaries", () => {
    for (const size of [0, 1, 511, 512, 513, 70_000]) {
      const data = Buffer.alloc(size, 7);
      const [entry, ...rest] = readTar(tarSingleFile("dir/plugin.wasm", data));
      expect(rest).toEqual([]);
      expect(entry!.name).toBe("dir/plugin.wasm");
      expect(entry!.type).toBe("0");
      expect(entry!.data.equals(data)).toBe(true);
    }
  });

  test("rejects names that do not fit the header", () => {
    expect(() => tarSingleFile("x".repeat(101), Buffer.alloc(0))).toThrow(/longer than 100 bytes/);
    expect(() => tarSingleFile("", Buffer.alloc(0))).toThrow(/invalid entry name/);
  });
});

describe("gzipStored", () => {
  test("crc32 matches the standard check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  test("has fixed header bytes: no name, MTIME 0, XFL 0, OS 255", () => {
    const gz = gzipStored(Buffer.from("hello"));
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
  });

  test("zlib inflates it back for empty, small and multi-block inputs", () => {
    for (const size of [0, 1, 65_535, 65_536, 200_001]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 13) & 0xff;
      const gz = gzipStored(data);
      expect(gunzipSync(gz).equals(data)).toBe(true);
      // Stored blocks: 5 bytes of block header per started 64 KiB, 10 header + 8 trailer bytes.
      expect(gz.length).toBe(10 + 8 + data.length + 5 * Math.max(1, Math.ceil(size / 65_535)));
    }
  });

  test("the same input always gives the same bytes", () => {
    const data = Buffer.from("same module, same digest");
    expect(gzipStored(data).equals(gzipStored(Buffer.from(data)))).toBe(true);
  });
});
