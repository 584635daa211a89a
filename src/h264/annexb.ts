/** Annex-B byte streams: NAL units delimited by 00 00 01 start codes. */

/** The NAL units of an Annex-B stream, without start codes or trailing zero bytes. */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    if (data[i + 2] > 1) {
      i += 3;
    } else if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) nals.push(trimZeros(data, start, i));
      start = i + 3;
      i += 3;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < n) nals.push(trimZeros(data, start, n));
  return nals.filter((nal) => nal.length > 0);
}

function trimZeros(data: Uint8Array, start: number, end: number): Uint8Array {
  while (end > start && data[end - 1] === 0) end--;
  return data.subarray(start, end);
}

/** True when `data` begins with a 3- or 4-byte start code. */
export function hasStartCode(data: Uint8Array): boolean {
  return (data.length >= 3 && data[0] === 0 && data[1] === 0 && data[2] === 1) ||
    (data.length >= 4 && data[0] === 0 && data[1] === 0 && data[2] === 0 && data[3] === 1);
}

export const START_CODE = Uint8Array.of(0, 0, 1);
