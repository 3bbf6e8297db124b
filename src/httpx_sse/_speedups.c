/* The decoder's hot loop in C: the lines of decoded text in, events out.
 *
 * The pure-Python decoder (_decoder.py) stays the reference: it handles bytes, line
 * ends, the BOM, the size bound and lines that span chunks, then hands this function
 * the complete lines of one chunk as text. This function does exactly what its line
 * loop does, field by field, and the test suite runs against both to keep them equal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *event_type_default; /* "message" */
static PyObject *empty;              /* "" */
static PyObject *newline;            /* "\n" */
static PyTypeObject *event_class;    /* ServerSentEvent, a tuple subclass */
static PyObject *comment_class;      /* SSEComment, a str subclass */

/* Python refuses to parse more digits than this; such a retry is ignored, as in Python. */
#define MAX_RETRY_DIGITS 4000

static int
name_is(int kind, const void *data, Py_ssize_t start, Py_ssize_t length, const char *name)
{
    Py_ssize_t i;
    if ((Py_ssize_t)strlen(name) != length)
        return 0;
    for (i = 0; i < length; i++) {
        if (PyUnicode_READ(kind, data, start + i) != (Py_UCS4)(unsigned char)name[i])
            return 0;
    }
    return 1;
}

/* Replace *slot by value, which is a new reference (stolen). */
static void
replace(PyObject **slot, PyObject *value)
{
    PyObject *old = *slot;
    *slot = value;
    Py_XDECREF(old);
}

static PyObject *
new_event(PyObject *type, PyObject *data, PyObject *id, PyObject *retry)
{
    PyObject *event = event_class->tp_alloc(event_class, 4);
    if (event == NULL)
        return NULL;
    Py_INCREF(type);
    Py_INCREF(id);
    Py_INCREF(retry);
    PyTuple_SET_ITEM(event, 0, type);
    PyTuple_SET_ITEM(event, 1, data); /* stolen */
    PyTuple_SET_ITEM(event, 2, id);
    PyTuple_SET_ITEM(event, 3, retry);
    return event;
}

/* parse(text, data_lines, event_type, id_buffer, block_retry, comments)
 *   -> (items, event_type, id_buffer, block_retry, retry, dispatched_id)
 *
 * text holds complete lines, each ended by "\n". data_lines (a list) collects the data
 * lines of the open block; it is emptied at each dispatch. retry is the last retry
 * field taken (or None); dispatched_id the id buffer at the last blank line (or None).
 */
static PyObject *
parse(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *text, *data_lines, *event_type, *id_buffer, *block_retry;
    PyObject *retry = Py_None, *dispatched_id = Py_None, *items = NULL, *result = NULL;
    int comments, kind;
    const void *data;
    Py_ssize_t length, position = 0;

    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "parse() takes 6 arguments");
        return NULL;
    }
    text = args[0];
    data_lines = args[1];
    if (!PyUnicode_Check(text) || !PyList_Check(data_lines)) {
        PyErr_SetString(PyExc_TypeError, "parse() takes a str and a list");
        return NULL;
    }
    comments = PyObject_IsTrue(args[5]);
    if (comments < 0)
        return NULL;
    /* Owned references from here on: each goes back in the result, or is released. */
    event_type = args[2];
    id_buffer = args[3];
    block_retry = args[4];
    Py_INCREF(event_type);
    Py_INCREF(id_buffer);
    Py_INCREF(block_retry);
    Py_INCREF(retry);
    Py_INCREF(dispatched_id);

    items = PyList_New(0);
    if (items == NULL)
        goto done;
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    length = PyUnicode_GET_LENGTH(text);

    while (position < length) {
        Py_ssize_t end = PyUnicode_FindChar(text, '\n', position, length, 1);
        Py_ssize_t colon, name_end, value_start;
        if (end == -2)
            goto done;
        if (end == -1)
            end = length; /* not expected: the caller passes complete lines */

        if (end == position) { /* a blank line: dispatch */
            Py_ssize_t count = PyList_GET_SIZE(data_lines);
            if (count) {
                PyObject *value, *event;
                if (count == 1) {
                    value = PyList_GET_ITEM(data_lines, 0);
                    Py_INCREF(value);
                }
                else {
                    value = PyUnicode_Join(newline, data_lines);
                    if (value == NULL)
                        goto done;
                }
                if (PyList_SetSlice(data_lines, 0, count, NULL) < 0) {
                    Py_DECREF(value);
                    goto done;
                }
                event = new_event(
                    PyUnicode_GET_LENGTH(event_type) ? event_type : event_type_default, value, id_buffer, block_retry);
                if (event == NULL)
                    goto done;
                if (PyList_Append(items, event) < 0) {
                    Py_DECREF(event);
                    goto done;
                }
                Py_DECREF(event);
            }
            Py_INCREF(id_buffer);
            replace(&dispatched_id, id_buffer);
            Py_INCREF(empty);
            replace(&event_type, empty);
            Py_INCREF(Py_None);
            replace(&block_retry, Py_None);
            position = end + 1;
            continue;
        }

        colon = PyUnicode_FindChar(text, ':', position, end, 1);
        if (colon == -2)
            goto done;
        name_end = colon < 0 ? end : colon;
        value_start = colon < 0 ? end : colon + 1;
        if (value_start < end && PyUnicode_READ(kind, data, value_start) == ' ')
            value_start++; /* one space after the colon is not part of the value */

        if (name_end == position) { /* a comment */
            if (comments) {
                PyObject *value = PyUnicode_Substring(text, value_start, end), *comment;
                if (value == NULL)
                    goto done;
                comment = PyObject_CallOneArg(comment_class, value);
                Py_DECREF(value);
                if (comment == NULL)
                    goto done;
                if (PyList_Append(items, comment) < 0) {
                    Py_DECREF(comment);
                    goto done;
                }
                Py_DECREF(comment);
            }
        }
        else if (name_is(kind, data, position, name_end - position, "data")) {
            PyObject *value = PyUnicode_Substring(text, value_start, end);
            if (value == NULL)
                goto done;
            if (PyList_Append(data_lines, value) < 0) {
                Py_DECREF(value);
                goto done;
            }
            Py_DECREF(value);
        }
        else if (name_is(kind, data, position, name_end - position, "id")) {
            if (PyUnicode_FindChar(text, 0, value_start, end, 1) == -1) { /* an id with NUL is ignored */
                PyObject *value = PyUnicode_Substring(text, value_start, end);
                if (value == NULL)
                    goto done;
                replace(&id_buffer, value);
            }
        }
        else if (name_is(kind, data, position, name_end - position, "event")) {
            PyObject *value = PyUnicode_Substring(text, value_start, end);
            if (value == NULL)
                goto done;
            replace(&event_type, value);
        }
        else if (name_is(kind, data, position, name_end - position, "retry") && value_start < end) {
            Py_ssize_t i, first = -1;
            for (i = value_start; i < end; i++) {
                Py_UCS4 c = PyUnicode_READ(kind, data, i);
                if (c < '0' || c > '9')
                    break;
                if (first < 0 && c != '0')
                    first = i;
            }
            if (i == end) { /* ASCII digits only */
                PyObject *value;
                if (first < 0)
                    value = PyLong_FromLong(0);
                else if (end - first > MAX_RETRY_DIGITS)
                    value = NULL;
                else {
                    PyObject *digits = PyUnicode_Substring(text, first, end);
                    if (digits == NULL)
                        goto done;
                    value = PyLong_FromUnicodeObject(digits, 10);
                    Py_DECREF(digits);
                    if (value == NULL)
                        goto done;
                }
                if (value != NULL) {
                    Py_INCREF(value);
                    replace(&block_retry, value);
                    replace(&retry, value);
                }
            }
        }
        position = end + 1;
    }
    result = PyTuple_Pack(6, items, event_type, id_buffer, block_retry, retry, dispatched_id);

done:
    Py_XDECREF(items);
    Py_DECREF(event_type);
    Py_DECREF(id_buffer);
    Py_DECREF(block_retry);
    Py_DECREF(retry);
    Py_DECREF(dispatched_id);
    return result;
}

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
    {"parse", (PyCFunction)(void (*)(void))parse, METH_FASTCALL, "Parse complete lines of text into events."},
    {"setup", setup, METH_VARARGS, "Set the event and comment classes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_speedups", "The decoder's hot loop, compiled.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    event_type_default = PyUnicode_InternFromString("message");
    empty = PyUnicode_FromString("");
    newline = PyUnicode_FromString("\n");
    if (event_type_default == NULL || empty == NULL || newline == NULL)
        return NULL;
    return PyModule_Create(&module_definition);
}
