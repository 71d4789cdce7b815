// The audio pipeline's error base, so that every stage's failure carries a stable `code`
// and the caller can tell bad input (refuse the file) from a bug (fix the code).
import { AudataError, type AudataErrorOptions } from '@audata/wire';

/** Base of every error the audio pipeline throws; stages add their own subclasses. */
export class AudioError extends AudataError {
  override name = 'AudioError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The leading bytes match no container this pipeline knows. */
export class AudioUnknownFormatError extends AudioError {
  override name = 'AudioUnknownFormatError' as const;
  constructor(received: string) {
    super('AUDIO_UNKNOWN_FORMAT', `Unrecognised audio container (leading bytes ${received}).`, {
      details: { expected: 'RIFF/WAVE or Ogg Opus', received },
      hint: 'Send a WAV file or an Ogg Opus voice note.',
    });
  }
}

/** A known container whose codec (or container variant) this pipeline does not decode. */
export class AudioUnsupportedCodecError extends AudioError {
  override name = 'AudioUnsupportedCodecError' as const;
  constructor(container: string, codec: string) {
    super('AUDIO_UNSUPPORTED_CODEC', `${container} with codec ${codec} is not supported.`, {
      details: { container, codec },
      hint: 'Convert to WAV (PCM or float) or Ogg Opus.',
    });
  }
}

/** Header fields that contradict each other or the format's specification. */
export class AudioMalformedHeaderError extends AudioError {
  override name = 'AudioMalformedHeaderError' as const;
  constructor(field: string, expected: string, received: string | number) {
    super('AUDIO_MALFORMED_HEADER', `Malformed audio header: ${field} is ${received}, expected ${expected}.`, {
      details: { field, expected, received },
      hint: 'The file is damaged or was written by a broken encoder; re-export it.',
    });
  }
}

/** The stream ended before a header, chunk or frame it announced was complete. */
export class AudioTruncatedError extends AudioError {
  override name = 'AudioTruncatedError' as const;
  constructor(what: string, expectedBytes: number, receivedBytes: number) {
    super('AUDIO_TRUNCATED', `Audio stream ends inside the ${what}: expected ${expectedBytes} bytes, received ${receivedBytes}.`, {
      details: { what, expected: expectedBytes, received: receivedBytes },
      hint: 'The upload was cut short; send the whole file.',
    });
  }
}

/** The file is well formed but holds no samples. */
export class AudioEmptyError extends AudioError {
  override name = 'AudioEmptyError' as const;
  constructor(container: string) {
    super('AUDIO_EMPTY', `The ${container} stream holds no audio samples.`, {
      details: { container },
      hint: 'Record something before uploading.',
    });
  }
}

/** The audio lasts longer than the configured cap. */
export class AudioTooLongError extends AudioError {
  override name = 'AudioTooLongError' as const;
  constructor(maxSeconds: number, receivedSeconds: number) {
    super('AUDIO_TOO_LONG', `Audio lasts at least ${receivedSeconds.toFixed(2)} s, more than the limit of ${maxSeconds} s.`, {
      details: { expected: maxSeconds, received: receivedSeconds },
      hint: 'Split the recording into shorter files.',
    });
  }
}

/** The encoded input is larger than the configured byte cap. */
export class AudioTooLargeError extends AudioError {
  override name = 'AudioTooLargeError' as const;
  constructor(maxBytes: number, receivedBytes: number) {
    super('AUDIO_TOO_LARGE', `Audio input exceeds ${maxBytes} bytes (received at least ${receivedBytes}).`, {
      details: { expected: maxBytes, received: receivedBytes },
      hint: 'Send a shorter or more compressed file.',
    });
  }
}

/** The codec reported damaged packets inside an otherwise well-formed container. */
export class AudioCorruptError extends AudioError {
  override name = 'AudioCorruptError' as const;
  constructor(codec: string, cause: string) {
    super('AUDIO_CORRUPT', `The ${codec} stream is corrupt: ${cause}.`, {
      details: { codec, cause },
      hint: 'The file is damaged; re-export or re-record it.',
    });
  }
}

/** The audio source itself (a file on the command line) could not be read. */
export class AudioSourceUnreadableError extends AudioError {
  override name = 'AudioSourceUnreadableError' as const;
  constructor(source: string, reason: string) {
    super('AUDIO_SOURCE_UNREADABLE', `Cannot read ${source}: ${reason}.`, {
      details: { source, reason },
      hint: 'Check the path and its permissions.',
    });
  }
}
