/** libavcodec: decoder contexts, packets, bitstream parsers, and the default frame allocator. */
import { findLibrary, openLibrary } from "./library.ts";
import type { LibavSet } from "./libav-versions.ts";

export const symbols = {
  // unsigned avcodec_version(void);
  avcodec_version: { parameters: [], result: "u32" },
  // const AVCodec *avcodec_find_decoder_by_name(const char *name);
  avcodec_find_decoder_by_name: { parameters: ["buffer"], result: "pointer" },
  // const AVCodec *av_codec_iterate(void **opaque);
  av_codec_iterate: { parameters: ["buffer"], result: "pointer" },
  // int av_codec_is_decoder(const AVCodec *codec);
  av_codec_is_decoder: { parameters: ["pointer"], result: "i32" },
  // AVCodecContext *avcodec_alloc_context3(const AVCodec *codec);
  avcodec_alloc_context3: { parameters: ["pointer"], result: "pointer" },
  // void avcodec_free_context(AVCodecContext **avctx);
  avcodec_free_context: { parameters: ["buffer"], result: "void" },
  // int avcodec_open2(AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options);
  avcodec_open2: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  // int avcodec_send_packet(AVCodecContext *avctx, const AVPacket *avpkt);
  avcodec_send_packet: { parameters: ["pointer", "pointer"], result: "i32" },
  // int avcodec_receive_frame(AVCodecContext *avctx, AVFrame *frame);
  avcodec_receive_frame: { parameters: ["pointer", "pointer"], result: "i32" },
  // void avcodec_flush_buffers(AVCodecContext *avctx);
  avcodec_flush_buffers: { parameters: ["pointer"], result: "void" },
  // int avcodec_default_get_buffer2(AVCodecContext *s, AVFrame *frame, int flags);
  avcodec_default_get_buffer2: { parameters: ["pointer", "pointer", "i32"], result: "i32" },
  // AVCodecParserContext *av_parser_init(int codec_id);
  av_parser_init: { parameters: ["i32"], result: "pointer" },
  // int av_parser_parse2(AVCodecParserContext *s, AVCodecContext *avctx, uint8_t **poutbuf,
  //                      int *poutbuf_size, const uint8_t *buf, int buf_size,
  //                      int64_t pts, int64_t dts, int64_t pos);
  av_parser_parse2: {
    parameters: ["pointer", "pointer", "buffer", "buffer", "pointer", "i32", "i64", "i64", "i64"],
    result: "i32",
  },
  // void av_parser_close(AVCodecParserContext *s);
  av_parser_close: { parameters: ["pointer"], result: "void" },
  // AVPacket *av_packet_alloc(void);
  av_packet_alloc: { parameters: [], result: "pointer" },
  // void av_packet_free(AVPacket **pkt);
  av_packet_free: { parameters: ["buffer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

export type AvCodec = Deno.DynamicLibrary<typeof symbols>["symbols"];

export function loadAvCodec(set: LibavSet): { symbols: AvCodec; path: string } {
  const soname = `libavcodec.so.${set.avcodec}`;
  const { lib, path } = openLibrary(
    soname,
    findLibrary([soname]),
    "DAEDALUS_LIBAVCODEC",
    `libavcodec${set.avcodec}`,
    symbols,
  );
  return { symbols: lib.symbols, path };
}
