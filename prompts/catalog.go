package prompts

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Product facts (SFPDESK_CATALOG): what the seller wants drafts to know of a
// product, by SKU or ASIN. The file is the seller's own export, CSV or JSON;
// it is read again whenever it changes on disk, so that a corrected fact
// reaches the next draft without a restart.

// Product is one product's facts.
type Product struct {
	SKU   string
	ASIN  string
	Title string
	// Facts are the other columns (or fields), in the file's order.
	Facts []Fact
}

// Fact is one named fact of a product.
type Fact struct {
	Name  string
	Value string
}

// String lays the facts out one per line, as the prompt shows them.
func (p *Product) String() string {
	var b strings.Builder
	if p.Title != "" {
		fmt.Fprintf(&b, "title: %s\n", p.Title)
	}
	if p.ASIN != "" {
		fmt.Fprintf(&b, "asin: %s\n", p.ASIN)
	}
	if p.SKU != "" {
		fmt.Fprintf(&b, "sku: %s\n", p.SKU)
	}
	for _, f := range p.Facts {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
	}
	return strings.TrimSpace(b.String())
}

// Column names (compared without case, spaces, dashes or underscores) that
// hold the identifiers and the title; every other column is a fact.
var (
	skuColumns   = []string{"sku", "sellersku", "skuvendeur", "reference", "référence", "ref"}
	asinColumns  = []string{"asin"}
	titleColumns = []string{"title", "name", "productname", "itemname", "titre", "nom", "titel", "titulo", "título", "titolo"}
)

// maxCatalogBytes bounds the file read: a catalogue of product facts for
// drafts, not a product database.
const maxCatalogBytes = 32 << 20

// ParseCatalog reads products from CSV (comma or semicolon separated, with a
// header row) or JSON (an array of objects, or an object keyed by SKU or
// ASIN). format is "csv" or "json"; empty means: guess from the content.
func ParseCatalog(r io.Reader, format string) ([]Product, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCatalogBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxCatalogBytes {
		return nil, fmt.Errorf("larger than %d MiB", maxCatalogBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's BOM
	if format == "" {
		format = "csv"
		if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
			format = "json"
		}
	}
	var ps []Product
	switch strings.ToLower(format) {
	case "json":
		ps, err = parseCatalogJSON(data)
	case "csv":
		ps, err = parseCatalogCSV(data)
	default:
		return nil, fmt.Errorf("unknown format %q: use csv or json", format)
	}
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, errors.New("no product in it")
	}
	for i := range ps {
		if ps[i].SKU == "" && ps[i].ASIN == "" {
			return nil, fmt.Errorf("product %d has neither a SKU nor an ASIN", i+1)
		}
	}
	return ps, nil
}

func normColumn(s string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

func parseCatalogCSV(data []byte) ([]Product, error) {
	first, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine()
	cr := csv.NewReader(bytes.NewReader(data))
	// French spreadsheets export with semicolons.
	if strings.Count(string(first), ";") > strings.Count(string(first), ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header row: %w", err)
	}
	var ps []Product
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		p := Product{}
		for i, v := range rec {
			if i >= len(head) {
				break
			}
			setField(&p, head[i], v)
		}
		if p.SKU == "" && p.ASIN == "" && p.Title == "" && len(p.Facts) == 0 {
			continue // a blank line
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func setField(p *Product, name, v string) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	n := normColumn(name)
	switch {
	case slices.Contains(skuColumns, n) && p.SKU == "":
		p.SKU = v
	case slices.Contains(asinColumns, n) && p.ASIN == "":
		p.ASIN = strings.ToUpper(v)
	case slices.Contains(titleColumns, n) && p.Title == "":
		p.Title = v
	case v != "":
		p.Facts = append(p.Facts, Fact{Name: strings.TrimSpace(name), Value: v})
	}
}

func parseCatalogJSON(data []byte) ([]Product, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	var ps []Product
	// key is the SKU or ASIN an object is filed under, "" in an array.
	add := func(label, key string, v any) error {
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: a product is an object of facts", label)
		}
		p := Product{}
		// A JSON object has no order: facts go alphabetically, so that the
		// prompt (and its golden file) does not change from run to run.
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			setField(&p, k, jsonString(obj[k]))
		}
		if p.SKU == "" && p.ASIN == "" && key != "" {
			if isASIN(key) {
				p.ASIN = key
			} else {
				p.SKU = key
			}
		}
		ps = append(ps, p)
		return nil
	}
	switch x := raw.(type) {
	case []any:
		for i, v := range x {
			if err := add("product "+strconv.Itoa(i+1), "", v); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := add(k, k, x[k]); err != nil {
				return nil, err
			}
		}
	default:
		return nil, errors.New("expected an array of products or an object keyed by SKU or ASIN")
	}
	return ps, nil
}

func isASIN(s string) bool {
	if len(s) != 10 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func jsonString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, jsonString(e))
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Catalog is the product facts file, read again when it changes. The zero
// value and a nil *Catalog know no product. It is safe for concurrent use.
type Catalog struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	modTime time.Time
	size    int64
	bySKU   map[string]*Product
	byASIN  map[string]*Product
}

// OpenCatalog reads the file at path. A file that cannot be read or parsed
// is an error here; later, a broken edit keeps the last good facts.
func OpenCatalog(path string, log *slog.Logger) (*Catalog, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &Catalog{path: path, log: log}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// NewCatalog holds products in memory (the evaluation's, tests').
func NewCatalog(ps []Product) *Catalog {
	c := &Catalog{}
	c.index(ps)
	return c
}

func (c *Catalog) index(ps []Product) {
	c.bySKU, c.byASIN = map[string]*Product{}, map[string]*Product{}
	for i := range ps {
		p := &ps[i]
		if p.SKU != "" {
			c.bySKU[p.SKU] = p
		}
		if p.ASIN != "" {
			c.byASIN[p.ASIN] = p
		}
	}
}

func (c *Catalog) reload() error {
	fi, err := os.Stat(c.path)
	if err != nil {
		return err
	}
	f, err := os.Open(c.path)
	if err != nil {
		return err
	}
	defer f.Close()
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(c.path)), ".")
	if format != "csv" && format != "json" {
		format = ""
	}
	ps, err := ParseCatalog(f, format)
	if err != nil {
		return fmt.Errorf("%s: %w", c.path, err)
	}
	c.index(ps)
	c.modTime, c.size = fi.ModTime(), fi.Size()
	return nil
}

// Lookup finds a product by SKU, else by ASIN. It reads the file again
// first when its modification time or size changed.
func (c *Catalog) Lookup(sku, asin string) (*Product, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path != "" {
		if fi, err := os.Stat(c.path); err == nil && (!fi.ModTime().Equal(c.modTime) || fi.Size() != c.size) {
			if err := c.reload(); err != nil {
				// Keep the last good facts rather than none; say so once
				// per change of the file.
				c.modTime, c.size = fi.ModTime(), fi.Size()
				c.log.Warn("product catalogue not reloaded; keeping the previous facts", "path", c.path, "err", err)
			}
		}
	}
	if p, ok := c.bySKU[strings.TrimSpace(sku)]; ok && sku != "" {
		cp := *p
		return &cp, true
	}
	if p, ok := c.byASIN[strings.ToUpper(strings.TrimSpace(asin))]; ok && asin != "" {
		cp := *p
		return &cp, true
	}
	return nil, false
}

// Len is the number of products known.
func (c *Catalog) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.bySKU)
	for _, p := range c.byASIN {
		if p.SKU == "" || c.bySKU[p.SKU] != p {
			n++
		}
	}
	return n
}
