package poller

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// askedPages is a Lister that tells which pages were asked for, and how
// each request ended.
type askedPages struct {
	Lister
	mu    sync.Mutex
	asked chan int
	ended map[int]error
}

func (a *askedPages) List(ctx context.Context, q oms.ListQuery, page int) (*oms.ProjectPage, error) {
	a.asked <- page
	pg, err := a.Lister.List(ctx, q, page)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ended[page] = err
	return pg, err
}

// A fleet read asks for the next page while the one before is handed off,
// hands the pages over in order, and stops the page asked for ahead when
// the hand-off gives up.
func TestFleetReadAsksForTheNextPageWhileHandingOff(t *testing.T) {
	const n = 400 // 3 pages of 150
	sim, _ := newSim(t, n, 9)
	api := cloudAPI(t, sim, omsapi.Options{Timeout: time.Minute}, omssim.DemoAccessKeySecret)
	l := &askedPages{Lister: api, asked: make(chan int, 8), ended: map[int]error{}}
	q := oms.ListQuery{PageSize: oms.MaxPageSize, Related: true}

	var handed []int
	pages, err := readPages(t.Context(), l, q, pageRetry{}, func(entries []listEntry) error {
		handed = append(handed, len(entries))
		page := len(handed)
		if page < 3 {
			// The next page is asked for before this one's hand-off ends
			// (this page's own request may come first).
			for {
				select {
				case got := <-l.asked:
					if got == page {
						continue
					}
					if got != page+1 {
						t.Errorf("page %d handed off; asked for page %d", page, got)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("page %d handed off: page %d was not asked for meanwhile", page, page+1)
				}
				break
			}
		}
		return nil
	})
	if err != nil || pages != 3 {
		t.Fatalf("read %d pages, %v; want 3, nil", pages, err)
	}
	if want := []int{150, 150, 100}; !slices.Equal(handed, want) {
		t.Errorf("entries handed off per page = %v, want %v", handed, want)
	}

	stop := errors.New("shutting down")
	block := make(chan struct{})
	slow := &askedPages{Lister: blockingList{Lister: api, from: 2, until: block}, asked: make(chan int, 8), ended: map[int]error{}}
	pages, err = readPages(t.Context(), slow, q, pageRetry{}, func([]listEntry) error {
		for page := range slow.asked {
			if page == 2 {
				break // asked ahead: now give up
			}
		}
		return stop
	})
	if !errors.Is(err, stop) || pages != 1 {
		t.Fatalf("a hand-off that gave up: read %d pages, %v; want 1, %v", pages, err, stop)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		slow.mu.Lock()
		ended, done := slow.ended[2]
		slow.mu.Unlock()
		if done {
			if !errors.Is(ended, context.Canceled) {
				t.Errorf("the page asked for ahead ended with %v, want it cancelled", ended)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page asked for ahead was not stopped when the hand-off gave up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(block)
}

// blockingList holds the pages from `from` on until the request's context
// ends or until is closed.
type blockingList struct {
	Lister
	from  int
	until chan struct{}
}

func (b blockingList) List(ctx context.Context, q oms.ListQuery, page int) (*oms.ProjectPage, error) {
	if page >= b.from {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.until:
		}
	}
	return b.Lister.List(ctx, q, page)
}
