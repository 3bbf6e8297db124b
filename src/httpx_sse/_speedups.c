/* The decoder in C: bytes in, events out.
 *
 * Decoder does what the pure-Python reference (_PythonCore in _decoder.py) does, step
 * for step, and the decoder test suites run against both to keep them equal: line ends
 * (CRLF, LF, CR, a CRLF split across chunks), the BOM at the start of a stream, lines
 * that span chunks, the size bound and its held error, and the fields of the WHATWG
 * "Interpreting an event stream" rules.
 *
 * It works on the bytes themselves: a line is found with memchr, its field name is
 * compared as bytes, and only values are decoded to str (UTF-8, errors replaced; line
 * ends, ':' and ' ' are ASCII, so decoding a value alone gives what decoding the whole
 * text would). The data lines of the open block are kept as bytes joined by "\n" and
 * decoded once, when the blank line dispatches the event.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "structmember.h"

static PyObject *event_type_default; /* "message" */
static PyObject *empty;              /* "" */
static PyTypeObject *event_class;    /* ServerSentEvent, a tuple subclass */
static PyObject *comment_class;      /* SSEComment, a str subclass */

/* Python refuses to parse more digits than this; such a retry is ignored, as in Python. */
#define MAX_RETRY_DIGITS 4000
/* A buffer that grew past this is freed once emptied, so a big event is not kept. */
#define KEEP_CAPACITY (64 * 1024)

/* -- growable byte buffers ------------------------------------------------------------ */

typedef struct {
    char *bytes;
    Py_ssize_t length;
    Py_ssize_t capacity;
} Buffer;

static int
buffer_add(Buffer *buffer, const char *bytes, Py_ssize_t count)
{
    if (count == 0)
        return 0; /* memcpy from or to NULL is undefined, even for no bytes */
    if (count > buffer->capacity - buffer->length) {
        Py_ssize_t capacity = buffer->capacity ? buffer->capacity : 256;
        char *grown;
        if (count > PY_SSIZE_T_MAX / 2 - buffer->length) {
            PyErr_NoMemory();
            return -1;
        }
        while (capacity < buffer->length + count)
            capacity += capacity / 2; /* amortised O(1) per byte, however the line is chunked */
        grown = PyMem_Realloc(buffer->bytes, (size_t)capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, bytes, (size_t)count);
    buffer->length += count;
    return 0;
}

static void
buffer_empty(Buffer *buffer)
{
    buffer->length = 0;
    if (buffer->capacity > KEEP_CAPACITY) {
        PyMem_Free(buffer->bytes);
        buffer->bytes = NULL;
        buffer->capacity = 0;
    }
}

/* -- finding line ends ---------------------------------------------------------------- */

/* The next LF and the next CR at or after a position, each found once by memchr and
 * kept until the position passes it: O(n) over a chunk, however the two are mixed. */
typedef struct {
    const char *bytes;
    Py_ssize_t length;
    Py_ssize_t lf; /* offset of the next LF, length if none, -1 if not yet looked for */
    Py_ssize_t cr;
} Scanner;

static void
scanner_start(Scanner *scanner, const char *bytes, Py_ssize_t length, Py_ssize_t from)
{
    const char *cr = memchr(bytes + from, '\r', (size_t)(length - from));
    scanner->bytes = bytes;
    scanner->length = length;
    scanner->lf = -1;
    scanner->cr = cr == NULL ? length : cr - bytes; /* no CR: the common case costs one memchr */
}

/* The offset of the line end (CR or LF) at or after from, or -1. */
static Py_ssize_t
scanner_next(Scanner *scanner, Py_ssize_t from)
{
    if (scanner->lf < from) {
        const char *lf = memchr(scanner->bytes + from, '\n', (size_t)(scanner->length - from));
        scanner->lf = lf == NULL ? scanner->length : lf - scanner->bytes;
    }
    if (scanner->cr < from) {
        const char *cr = memchr(scanner->bytes + from, '\r', (size_t)(scanner->length - from));
        scanner->cr = cr == NULL ? scanner->length : cr - scanner->bytes;
    }
    if (scanner->cr < scanner->lf)
        return scanner->cr;
    return scanner->lf < scanner->length ? scanner->lf : -1;
}

/* Where the line after the end at offset end starts: CRLF is one line end. */
static Py_ssize_t
after_line_end(const char *bytes, Py_ssize_t length, Py_ssize_t end)
{
    if (bytes[end] == '\r' && end + 1 < length && bytes[end + 1] == '\n')
        return end + 2;
    return end + 1;
}

/* -- the decoder ---------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    Py_ssize_t limit;       /* max_event_size, PY_SSIZE_T_MAX for none */
    Py_ssize_t block_bytes; /* the open block's size so far, as the bound counts it */
    Py_ssize_t data_lines;  /* how many data lines the open block has */
    Buffer line;            /* the incomplete last line, as raw bytes */
    Buffer data;            /* the open block's data lines, joined by "\n" */
    PyObject *event_type;   /* str: the event type buffer */
    PyObject *type_cache;   /* str: the last event type decoded, reused when it repeats */
    PyObject *id_buffer;    /* str: the last event ID buffer */
    PyObject *block_retry;  /* int or None: the open block's retry */
    PyObject *last_event_id;
    PyObject *retry;
    PyObject *error;      /* the SSEError held after a block passed the bound, or NULL */
    PyObject *make_error; /* called once to make that error */
    Py_ssize_t comments_seen; /* comment lines taken, for a reader's statistics */
    Py_ssize_t events_seen;   /* events dispatched */
    Py_ssize_t bytes_seen;    /* bytes fed */
    Py_ssize_t ids_seen;      /* id fields that set the id buffer: tells an event's own id from an inherited one */
    char at_start;        /* a BOM is stripped from the first line of a stream only */
    char skip_lf;         /* the last chunk ended with CR: an LF next completes CRLF */
    char busy;            /* inside feed(), close() or __init__(): see enter() */
} Decoder;

static PyObject *
new_event(PyObject *type, PyObject *data, PyObject *id, PyObject *retry)
{
    PyObject *event;
    /* References of the event's own first: allocating may run the garbage collector, and
     * with it any finalizer, which must not be able to free what the event is made of. */
    Py_INCREF(type);
    Py_INCREF(id);
    Py_INCREF(retry);
    event = event_class->tp_alloc(event_class, 4);
    if (event == NULL) {
        Py_DECREF(type);
        Py_DECREF(data);
        Py_DECREF(id);
        Py_DECREF(retry);
        return NULL;
    }
    PyTuple_SET_ITEM(event, 0, type);
    PyTuple_SET_ITEM(event, 1, data); /* stolen */
    PyTuple_SET_ITEM(event, 2, id);
    PyTuple_SET_ITEM(event, 3, retry);
    /* Its items are str, int or None, so an event is never part of a reference cycle:
     * the cyclic GC need not track it. Tracked, every event counts towards the next
     * collection, and a big chunk's worth of events, alive together, costs collections
     * that find nothing (a third of the time at 64 KiB chunks). */
    PyObject_GC_UnTrack(event);
    return event;
}

/* Append a new reference to a list, releasing it. */
static int
append_new(PyObject *items, PyObject *item)
{
    int failed;
    if (item == NULL)
        return -1;
    failed = PyList_Append(items, item);
    Py_DECREF(item);
    return failed;
}

/* A str holding these bytes: cached when it already holds them, as a repeated event type does. */
static PyObject *
decode_reusing(PyObject *cached, const char *bytes, Py_ssize_t count)
{
    if (cached != NULL && PyUnicode_IS_ASCII(cached) && PyUnicode_GET_LENGTH(cached) == count &&
        memcmp(PyUnicode_DATA(cached), bytes, (size_t)count) == 0) {
        Py_INCREF(cached);
        return cached;
    }
    return PyUnicode_DecodeUTF8(bytes, count, "replace");
}

/* The spec's "dispatch the event", at a blank line. */
static int
dispatch(Decoder *self, PyObject *items)
{
    if (self->data_lines) {
        PyObject *type = PyUnicode_GET_LENGTH(self->event_type) ? self->event_type : event_type_default, *value;
        if (self->data.capacity - self->data.length > KEEP_CAPACITY) {
            /* A big event: give back the room grown past it before its text is made. */
            char *fitted = PyMem_Realloc(self->data.bytes, (size_t)self->data.length + 1);
            if (fitted != NULL) {
                self->data.bytes = fitted;
                self->data.capacity = self->data.length + 1;
            }
        }
        value = PyUnicode_DecodeUTF8(self->data.bytes, self->data.length, "replace");
        if (value == NULL)
            return -1;
        if (append_new(items, new_event(type, value, self->id_buffer, self->block_retry)) < 0)
            return -1;
        self->events_seen++;
        self->data_lines = 0;
        buffer_empty(&self->data);
    }
    Py_INCREF(self->id_buffer);
    Py_SETREF(self->last_event_id, self->id_buffer);
    Py_INCREF(empty);
    Py_SETREF(self->event_type, empty);
    Py_INCREF(Py_None);
    Py_SETREF(self->block_retry, Py_None);
    return 0;
}

/* The int that ASCII digits spell, built 18 digits at a time: never through a str, which
 * int() refuses past sys.get_int_max_str_digits() (a deployment may lower it to 640). */
static PyObject *
digits_value(const char *digits, Py_ssize_t count)
{
    Py_ssize_t piece = count % 18 ? count % 18 : 18, i;
    PyObject *value = NULL, *scale = NULL;
    if (count == 0)
        return PyLong_FromLong(0);
    while (count > 0) {
        long long number = 0;
        PyObject *part, *next;
        for (i = 0; i < piece; i++)
            number = number * 10 + (digits[i] - '0');
        part = PyLong_FromLongLong(number);
        if (part == NULL)
            goto failed;
        if (value == NULL) {
            value = part;
        }
        else {
            next = PyNumber_Multiply(value, scale);
            Py_SETREF(value, next);
            if (value == NULL) {
                Py_DECREF(part);
                goto failed;
            }
            next = PyNumber_Add(value, part);
            Py_DECREF(part);
            Py_SETREF(value, next);
            if (value == NULL)
                goto failed;
        }
        if (scale == NULL && (scale = PyLong_FromLongLong(1000000000000000000LL)) == NULL)
            goto failed;
        digits += piece;
        count -= piece;
        piece = 18;
    }
    Py_XDECREF(scale);
    return value;
failed:
    Py_XDECREF(value);
    Py_XDECREF(scale);
    return NULL;
}

static int
take_retry(Decoder *self, const char *digits, Py_ssize_t count)
{
    Py_ssize_t i, first = count;
    PyObject *value;
    for (i = 0; i < count; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return 0; /* not ASCII digits only: ignored */
        if (first == count && digits[i] != '0')
            first = i;
    }
    if (count - first > MAX_RETRY_DIGITS)
        return 0;
    value = digits_value(digits + first, count - first);
    if (value == NULL)
        return -1;
    Py_INCREF(value);
    Py_SETREF(self->block_retry, value);
    Py_SETREF(self->retry, value);
    return 0;
}

/* One complete line, without its line end. from_buffer: the line is self->line's bytes. */
static int
take_line(Decoder *self, const char *line, Py_ssize_t length, int from_buffer, int comments, PyObject *items)
{
    const char *colon, *value;
    Py_ssize_t name_length, value_length;

    if (self->at_start) {
        self->at_start = 0;
        if (length >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            line += 3;
            length -= 3;
        }
    }
    if (length == 0)
        return dispatch(self, items);

    colon = memchr(line, ':', (size_t)length);
    name_length = colon == NULL ? length : colon - line;
    value = colon == NULL ? line + length : colon + 1;
    value_length = line + length - value;
    if (value_length && *value == ' ') { /* one space after the colon is not part of the value */
        value++;
        value_length--;
    }

    if (name_length == 0) { /* a comment */
        self->comments_seen++;
        if (comments) {
            PyObject *text = PyUnicode_DecodeUTF8(value, value_length, "replace"), *comment;
            if (text == NULL)
                return -1;
            comment = PyObject_CallOneArg(comment_class, text);
            Py_DECREF(text);
            return append_new(items, comment);
        }
    }
    else if (name_length == 4 && memcmp(line, "data", 4) == 0) {
        if (from_buffer && self->data_lines == 0 && self->data.length == 0) {
            /* A long data line that spanned chunks becomes the data as it is: no copy. */
            Buffer spare = self->data;
            memmove(self->line.bytes, value, (size_t)value_length);
            self->data = self->line;
            self->data.length = value_length;
            self->line = spare;
        }
        else {
            if (self->data_lines && buffer_add(&self->data, "\n", 1) < 0)
                return -1;
            if (buffer_add(&self->data, value, value_length) < 0)
                return -1;
        }
        self->data_lines++;
    }
    else if (name_length == 2 && memcmp(line, "id", 2) == 0) {
        if (memchr(value, '\0', (size_t)value_length) == NULL) { /* an id with NUL is ignored */
            PyObject *text = decode_reusing(self->id_buffer, value, value_length);
            if (text == NULL)
                return -1;
            Py_SETREF(self->id_buffer, text);
            self->ids_seen++;
        }
    }
    else if (name_length == 5 && memcmp(line, "event", 5) == 0) {
        PyObject *text = decode_reusing(self->type_cache, value, value_length);
        if (text == NULL)
            return -1;
        Py_INCREF(text);
        Py_XSETREF(self->type_cache, text);
        Py_SETREF(self->event_type, text);
    }
    else if (name_length == 5 && memcmp(line, "retry", 5) == 0 && value_length) {
        return take_retry(self, value, value_length);
    }
    return 0;
}

/* Where in bytes[from:] the first block begins that passes the bound (the open block
 * counts what it already holds), or -1. Each line counts its bytes and one byte for its
 * end; a blank line ends a block. */
static Py_ssize_t
too_large_from(Decoder *self, const char *bytes, Py_ssize_t length, Py_ssize_t from)
{
    Py_ssize_t size = self->block_bytes, block_start = from, position = from;
    int line_started = self->line.length > 0;
    Scanner scanner;
    scanner_start(&scanner, bytes, length, from);
    while (position < length) {
        Py_ssize_t end = scanner_next(&scanner, position);
        if (end < 0) {
            size += length - position;
            return size > self->limit ? block_start : -1;
        }
        if (end == position && !line_started) {
            size = 0;
            block_start = after_line_end(bytes, length, end);
        }
        else {
            size += end - position + 1;
            if (size > self->limit)
                return block_start;
        }
        line_started = 0;
        position = after_line_end(bytes, length, end);
    }
    return -1;
}

static int
fail_too_large(Decoder *self)
{
    PyObject *error = PyObject_CallNoArgs(self->make_error);
    if (error == NULL)
        return -1;
    Py_XSETREF(self->error, error);
    buffer_empty(&self->line);
    self->data_lines = 0;
    buffer_empty(&self->data);
    return 0;
}

static PyObject *
raise_held(Decoder *self)
{
    PyErr_SetObject((PyObject *)Py_TYPE(self->error), self->error);
    return NULL;
}

/* Take the bytes of one chunk; the events (and comments, when asked) they complete go in items. */
static int
take_chunk(Decoder *self, const char *bytes, Py_ssize_t length, int comments, PyObject *items)
{
    Py_ssize_t position = 0, stop = length;
    int too_large = 0;
    Scanner scanner;

    if (self->skip_lf && length) {
        self->skip_lf = 0;
        if (bytes[0] == '\n')
            position = 1;
    }
    if (length - position > self->limit - self->block_bytes) { /* a block in here may pass the bound */
        Py_ssize_t start = too_large_from(self, bytes, length, position);
        if (start >= 0) {
            stop = start;
            too_large = 1;
        }
    }
    scanner_start(&scanner, bytes, stop, position);
    while (position < stop) {
        Py_ssize_t end = scanner_next(&scanner, position);
        if (end < 0) { /* the line goes on in the next chunk */
            if (buffer_add(&self->line, bytes + position, stop - position) < 0)
                return -1;
            self->block_bytes += stop - position;
            break;
        }
        if (self->line.length) {
            if (buffer_add(&self->line, bytes + position, end - position) < 0)
                return -1;
            self->block_bytes += end - position + 1;
            if (take_line(self, self->line.bytes, self->line.length, 1, comments, items) < 0)
                return -1;
            buffer_empty(&self->line);
        }
        else {
            self->block_bytes = end == position ? 0 : self->block_bytes + end - position + 1;
            if (take_line(self, bytes + position, end - position, 0, comments, items) < 0)
                return -1;
        }
        position = end + 1;
        if (bytes[end] == '\r') {
            if (end + 1 == length)
                self->skip_lf = 1;
            else if (bytes[end + 1] == '\n')
                position++;
        }
    }
    if (too_large) {
        if (fail_too_large(self) < 0)
            return -1;
        if (PyList_GET_SIZE(items) == 0) {
            raise_held(self);
            return -1;
        }
        /* Otherwise the events come first; the next call raises. */
    }
    return 0;
}

/* Start a call that changes the decoder's state, or raise: one call at a time. A
 * finalizer that runs during a feed (the garbage collector may run at any allocation),
 * or a second thread, would otherwise change buffers the first call is reading. */
static int
enter(Decoder *self, const char *what)
{
    if (self->busy) {
        PyErr_Format(PyExc_RuntimeError,
                     "SSEDecoder.%s() called while the decoder is already busy (from a finalizer "
                     "or another thread): a decoder takes one call at a time",
                     what);
        return -1;
    }
    if (self->make_error == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the decoder core was made without __init__(); use SSEDecoder()");
        return -1;
    }
    self->busy = 1;
    return 0;
}

static PyObject *
feed(Decoder *self, PyObject *chunk, int comments)
{
    PyObject *items;
    Py_buffer view;
    if (PyBytes_Check(chunk)) { /* immutable: read in place, without a buffer view */
        view.obj = NULL;
        view.buf = PyBytes_AS_STRING(chunk);
        view.len = PyBytes_GET_SIZE(chunk);
    }
    else if (!PyByteArray_Check(chunk) && !PyMemoryView_Check(chunk)) {
        PyErr_Format(PyExc_TypeError, "feed() takes bytes, a bytearray or a memoryview, not %.100s",
                     Py_TYPE(chunk)->tp_name);
        return NULL;
    }
    else if (PyObject_GetBuffer(chunk, &view, PyBUF_SIMPLE) < 0) {
        if (PyErr_ExceptionMatches(PyExc_BufferError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "feed() takes a contiguous memoryview; copy it with bytes() first");
        }
        return NULL;
    }
    if (enter(self, comments ? "feed_with_comments" : "feed") < 0) {
        items = NULL;
    }
    else {
        if (self->error != NULL) /* a block passed the bound in an earlier call */
            items = raise_held(self);
        else if ((items = PyList_New(0)) != NULL && take_chunk(self, view.buf, view.len, comments, items) < 0)
            Py_CLEAR(items);
        if (items != NULL)
            self->bytes_seen += view.len;
        self->busy = 0;
    }
    if (view.obj != NULL)
        PyBuffer_Release(&view); /* a bytearray can be resized again */
    return items;
}

static PyObject *
decoder_feed(Decoder *self, PyObject *chunk)
{
    return feed(self, chunk, 0);
}

static PyObject *
decoder_feed_with_comments(Decoder *self, PyObject *chunk)
{
    return feed(self, chunk, 1);
}

static void
start_stream(Decoder *self)
{
    self->at_start = 1;
    self->skip_lf = 0;
    self->block_bytes = 0;
    self->data_lines = 0;
    buffer_empty(&self->line);
    buffer_empty(&self->data);
    Py_INCREF(empty);
    Py_XSETREF(self->event_type, empty);
    Py_INCREF(Py_None);
    Py_XSETREF(self->block_retry, Py_None);
    Py_INCREF(self->last_event_id);
    Py_XSETREF(self->id_buffer, self->last_event_id);
}

static PyObject *
decoder_close(Decoder *self, PyObject *unused)
{
    if (enter(self, "close") < 0)
        return NULL;
    self->busy = 0;
    if (self->error != NULL)
        return raise_held(self);
    start_stream(self);
    return PyList_New(0);
}

/* The state mid-stream, in the form the pure-Python core shares (State in _decoder.py). */
static PyObject *
decoder_export_state(Decoder *self, PyObject *unused)
{
    PyObject *data;
    if (enter(self, "export_state") < 0)
        return NULL;
    self->busy = 0;
    if (self->data_lines == 0) {
        Py_INCREF(Py_None);
        data = Py_None;
    }
    else if ((data = PyUnicode_DecodeUTF8(self->data.bytes ? self->data.bytes : "", self->data.length, "replace")) ==
             NULL)
        return NULL;
    return Py_BuildValue("(OOOOONy#nNNN)", self->last_event_id, self->retry, self->id_buffer, self->event_type,
                         self->block_retry, data, self->line.bytes ? self->line.bytes : "", self->line.length,
                         self->block_bytes, PyBool_FromLong(self->at_start), PyBool_FromLong(self->skip_lf),
                         PyBool_FromLong(self->error != NULL));
}

static int
is_int_or_none(PyObject *value)
{
    return value == Py_None || PyLong_Check(value);
}

/* Take up a stream where export_state() left it (in this core or the pure one). */
static PyObject *
decoder_restore_state(Decoder *self, PyObject *state)
{
    PyObject *last_event_id, *retry, *id_buffer, *event_type, *block_retry, *data, *error = NULL;
    const char *pending, *data_bytes = NULL;
    Py_ssize_t pending_length, block_bytes, data_length = 0;
    int at_start, skip_lf, held;
    if (!PyTuple_Check(state) ||
        !PyArg_ParseTuple(state, "UOUUOOy#nppp:restore_state", &last_event_id, &retry, &id_buffer, &event_type,
                          &block_retry, &data, &pending, &pending_length, &block_bytes, &at_start, &skip_lf, &held) ||
        !is_int_or_none(retry) || !is_int_or_none(block_retry) || (data != Py_None && !PyUnicode_Check(data)) ||
        block_bytes < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "not a decoder state");
        return NULL;
    }
    if (data != Py_None && (data_bytes = PyUnicode_AsUTF8AndSize(data, &data_length)) == NULL)
        return NULL;
    if (enter(self, "restore_state") < 0)
        return NULL;
    if (held && (error = PyObject_CallNoArgs(self->make_error)) == NULL) {
        self->busy = 0;
        return NULL;
    }
    Py_INCREF(last_event_id);
    Py_SETREF(self->last_event_id, last_event_id);
    Py_INCREF(retry);
    Py_SETREF(self->retry, retry);
    start_stream(self);
    Py_INCREF(id_buffer);
    Py_SETREF(self->id_buffer, id_buffer);
    Py_INCREF(event_type);
    Py_SETREF(self->event_type, event_type);
    Py_INCREF(block_retry);
    Py_SETREF(self->block_retry, block_retry);
    Py_XSETREF(self->error, error);
    self->block_bytes = block_bytes;
    self->at_start = (char)at_start;
    self->skip_lf = (char)skip_lf;
    if (buffer_add(&self->line, pending, pending_length) < 0 ||
        (data_bytes != NULL && buffer_add(&self->data, data_bytes, data_length) < 0)) {
        start_stream(self);
        self->busy = 0;
        return NULL;
    }
    self->data_lines = data_bytes != NULL;
    self->busy = 0;
    Py_RETURN_NONE;
}

/* Decoder(limit, last_event_id, make_error) */
static int
decoder_init(Decoder *self, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t limit;
    PyObject *last_event_id, *make_error;
    if (!PyArg_ParseTuple(args, "nUO:Decoder", &limit, &last_event_id, &make_error))
        return -1;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the decoder is busy: it cannot be initialised again now");
        return -1;
    }
    self->limit = limit;
    Py_INCREF(last_event_id);
    Py_XSETREF(self->last_event_id, last_event_id);
    Py_INCREF(make_error);
    Py_XSETREF(self->make_error, make_error);
    Py_INCREF(Py_None);
    Py_XSETREF(self->retry, Py_None);
    Py_CLEAR(self->error);
    start_stream(self);
    return 0;
}

/* A core that is usable (its getters, if not its feed) even when __init__ never runs. */
static PyObject *
decoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Decoder *self = (Decoder *)PyType_GenericNew(type, args, kwargs);
    if (self == NULL)
        return NULL;
    self->limit = PY_SSIZE_T_MAX;
    Py_INCREF(empty);
    self->last_event_id = empty;
    Py_INCREF(Py_None);
    self->retry = Py_None;
    start_stream(self);
    return (PyObject *)self;
}

static int
decoder_traverse(Decoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->event_type);
    Py_VISIT(self->type_cache);
    Py_VISIT(self->id_buffer);
    Py_VISIT(self->block_retry);
    Py_VISIT(self->last_event_id);
    Py_VISIT(self->retry);
    Py_VISIT(self->error);
    Py_VISIT(self->make_error);
    return 0;
}

static int
decoder_clear(Decoder *self)
{
    Py_CLEAR(self->event_type);
    Py_CLEAR(self->type_cache);
    Py_CLEAR(self->id_buffer);
    Py_CLEAR(self->block_retry);
    Py_CLEAR(self->last_event_id);
    Py_CLEAR(self->retry);
    Py_CLEAR(self->error);
    Py_CLEAR(self->make_error);
    return 0;
}

static void
decoder_dealloc(Decoder *self)
{
    PyObject_GC_UnTrack(self);
    decoder_clear(self);
    PyMem_Free(self->line.bytes);
    PyMem_Free(self->data.bytes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
get_last_event_id(Decoder *self, void *closure)
{
    Py_INCREF(self->last_event_id);
    return self->last_event_id;
}

static int
set_last_event_id(Decoder *self, PyObject *value, void *closure)
{
    if (value == NULL || !PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "last_event_id must be a str");
        return -1;
    }
    Py_INCREF(value);
    Py_SETREF(self->last_event_id, value);
    return 0;
}

static PyObject *
get_retry(Decoder *self, void *closure)
{
    Py_INCREF(self->retry);
    return self->retry;
}

static int
set_retry(Decoder *self, PyObject *value, void *closure)
{
    if (value == NULL || (value != Py_None && !PyLong_Check(value))) {
        PyErr_SetString(PyExc_TypeError, "retry must be an int or None");
        return -1;
    }
    Py_INCREF(value);
    Py_SETREF(self->retry, value);
    return 0;
}

static PyObject *
get_comments_seen(Decoder *self, void *closure)
{
    return PyLong_FromSsize_t(self->comments_seen);
}

static PyObject *
get_ids_seen(Decoder *self, void *closure)
{
    return PyLong_FromSsize_t(self->ids_seen);
}

static PyObject *
get_events_seen(Decoder *self, void *closure)
{
    return PyLong_FromSsize_t(self->events_seen);
}

static PyObject *
get_bytes_seen(Decoder *self, void *closure)
{
    return PyLong_FromSsize_t(self->bytes_seen);
}

static PyMethodDef decoder_methods[] = {
    {"feed", (PyCFunction)decoder_feed, METH_O, "Take the next bytes; return the events they complete."},
    {"feed_with_comments", (PyCFunction)decoder_feed_with_comments, METH_O, "feed(), with comments too."},
    {"close", (PyCFunction)decoder_close, METH_NOARGS, "End the stream; ready the next connection."},
    {"export_state", (PyCFunction)decoder_export_state, METH_NOARGS, "The state mid-stream, as both cores share it."},
    {"restore_state", (PyCFunction)decoder_restore_state, METH_O, "Take up a stream where export_state() left it."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef decoder_getset[] = {
    {"last_event_id", (getter)get_last_event_id, (setter)set_last_event_id, "The last event ID string.", NULL},
    {"retry", (getter)get_retry, (setter)set_retry, "The latest reconnection time (ms), or None.", NULL},
    {"comments_seen", (getter)get_comments_seen, NULL, "How many comment lines were taken.", NULL},
    {"ids_seen", (getter)get_ids_seen, NULL, "How many id fields set the id buffer.", NULL},
    {"events_seen", (getter)get_events_seen, NULL, "How many events were dispatched.", NULL},
    {"bytes_seen", (getter)get_bytes_seen, NULL, "How many bytes were fed.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "httpx_sse._speedups.Decoder",
    .tp_basicsize = sizeof(Decoder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The event stream decoder's state and steps, compiled.",
    .tp_new = decoder_new,
    .tp_init = (initproc)decoder_init,
    .tp_dealloc = (destructor)decoder_dealloc,
    .tp_traverse = (traverseproc)decoder_traverse,
    .tp_clear = (inquiry)decoder_clear,
    .tp_methods = decoder_methods,
    .tp_getset = decoder_getset,
};

/* setup(ServerSentEvent, SSEComment): the classes to build items of. */
static PyObject *
setup(PyObject *module, PyObject *args)
{
    PyObject *events, *comments;
    if (!PyArg_ParseTuple(args, "O!O", &PyType_Type, &events, &comments))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)events, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the event class must be a tuple subclass");
        return NULL;
    }
    Py_INCREF(events);
    Py_XSETREF(event_class, (PyTypeObject *)events);
    Py_INCREF(comments);
    Py_XSETREF(comment_class, comments);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"setup", setup, METH_VARARGS, "Set the event and comment classes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_speedups", "The event stream decoder, compiled.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *module;
    event_type_default = PyUnicode_InternFromString("message");
    empty = PyUnicode_FromString("");
    if (event_type_default == NULL || empty == NULL || PyType_Ready(&DecoderType) < 0)
        return NULL;
    module = PyModule_Create(&module_definition);
    if (module == NULL)
        return NULL;
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(module, "Decoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(&DecoderType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
