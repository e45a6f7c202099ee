package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logOptions are the flags of Flux's controllers' logger
// (fluxcd/pkg/runtime/logger): --log-encoding and --log-level.
//
// gitcanary builds the same logger itself: Flux's package imports
// controller-runtime, whose Kubernetes client and API scheme made up a
// third of the binary although gitcanary never calls the Kubernetes API.
type logOptions struct {
	Encoding string
	Level    string
}

// BindFlags binds the options to --log-encoding and --log-level.
func (o *logOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Encoding, "log-encoding", "json", "Log encoding format. Can be 'json' or 'console'.")
	fs.StringVar(&o.Level, "log-level", "info", "Log verbosity level. Can be one of 'trace', 'debug', 'info', 'error'.")
}

// logLevels are Flux's level names; logr's V(n) is zap level -n, so trace
// is V(2).
var logLevels = map[string]zapcore.Level{
	"trace": zapcore.DebugLevel - 1,
	"debug": zapcore.DebugLevel,
	"info":  zapcore.InfoLevel,
	"error": zapcore.ErrorLevel,
}

// newLogger returns the logger Flux's controllers log with, writing to w:
// JSON lines {"level","ts","msg",...} with ISO 8601 times, or console
// lines; stack traces from error on at the trace and debug levels only.
func newLogger(o logOptions, w io.Writer) (logr.Logger, error) {
	level, ok := logLevels[o.Level]
	if !ok {
		return logr.Logger{}, fmt.Errorf("--log-level: want trace, debug, info or error, got %q", o.Level)
	}
	var enc zapcore.Encoder
	switch o.Encoding {
	case "json":
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		cfg.EncodeLevel = lowercaseLevel
		enc = zapcore.NewJSONEncoder(cfg)
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		cfg.EncodeLevel = capitalLevel
		enc = zapcore.NewConsoleEncoder(cfg)
	default:
		return logr.Logger{}, fmt.Errorf("--log-encoding: want json or console, got %q", o.Encoding)
	}
	stack := zapcore.PanicLevel
	if level <= zapcore.DebugLevel {
		stack = zapcore.ErrorLevel
	}
	sink := zapcore.AddSync(w)
	zl := zap.New(zapcore.NewCore(enc, sink, level), zap.ErrorOutput(sink), zap.AddStacktrace(stack))
	if level > zapcore.DebugLevel-1 {
		// As controller-runtime's production logger: after 100 lines with
		// the same message in a second, one in 100.
		zl = zl.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(c, time.Second, 100, 100)
		}))
	}
	return zapr.NewLogger(zl), nil
}

// stderrLogger is newLogger writing to stderr, where gitcanary logs.
func stderrLogger(o logOptions) (logr.Logger, error) {
	return newLogger(o, os.Stderr)
}

// lowercaseLevel is zap's lowercase level encoder that names trace "trace".
func lowercaseLevel(l zapcore.Level, enc zapcore.PrimitiveArrayEncoder) {
	if l < zapcore.DebugLevel {
		enc.AppendString("trace")
		return
	}
	zapcore.LowercaseLevelEncoder(l, enc)
}

// capitalLevel is zap's capital level encoder that names trace "TRACE".
func capitalLevel(l zapcore.Level, enc zapcore.PrimitiveArrayEncoder) {
	if l < zapcore.DebugLevel {
		enc.AppendString("TRACE")
		return
	}
	zapcore.CapitalLevelEncoder(l, enc)
}
