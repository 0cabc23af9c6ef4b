package attemptgen

import "math"

// titles are the invented course names, most popular first. Popularity falls
// off steeply: titles[0] is clearly the most common, titles[1] is
// "Learning Git", and the last title is clearly the rarest.
var titles = [...]string{
	"Practical Kubernetes Foundations",
	"Learning Git",
	"Python for Data Wrangling",
	"SQL Querying Essentials",
	"Modern JavaScript Fundamentals",
	"Linux Command Line Basics",
	"Docker in Practice",
	"Statistics for Analysts",
	"Getting Started with Go",
	"Intro to Machine Learning Pipelines",
	"Building REST APIs with Flask",
	"Cloud Networking 101",
	"Spreadsheet Modeling for Finance",
	"Agile Team Practices",
	"Data Visualization with Matplotlib",
	"Writing Clean Java",
	"Regular Expressions Workshop",
	"Bash Scripting for Automation",
	"Object Storage in the Cloud",
	"Designing Relational Schemas",
	"Hands-on Apache Spark",
	"Test-Driven Development in Ruby",
	"Secure Coding Basics",
	"TypeScript Type System Deep Dive",
	"Rust Ownership and Borrowing",
	"Terraform Infrastructure as Code",
	"Kafka Streams Fundamentals",
	"Web Accessibility Checklist",
	"React Component Patterns",
	"Continuous Integration Pipelines",
	"Graph Databases Primer",
	"Natural Language Processing Starter",
	"Time Series Forecasting",
	"Probability Refresher",
	"Linear Algebra for Coders",
	"Site Reliability Engineering Basics",
	"Incident Response Drills",
	"Observability with Prometheus",
	"Vim for Everyday Editing",
	"Emacs Org Mode Essentials",
	"Microservices Communication Patterns",
	"gRPC and Protocol Buffers",
	"GraphQL Schema Design",
	"Node.js Event Loop Explained",
	"CSS Layout with Grid and Flexbox",
	"Mobile UX Principles",
	"Swift for iOS Beginners",
	"Kotlin Coroutines in Action",
	"Scala Collections Tour",
	"Haskell Types and Functions",
	"Elixir Processes and OTP",
	"C Pointers Demystified",
	"Modern C++ Smart Pointers",
	"Assembly Language Curiosities",
	"Compilers in a Weekend",
	"Operating Systems Concepts Review",
	"Distributed Consensus Explained",
	"Caching Strategies with Redis",
	"Search Relevance with Elasticsearch",
	"MongoDB Document Modeling",
	"PostgreSQL Performance Tuning",
	"Data Warehousing Concepts",
	"ETL Design Patterns",
	"Airflow Workflow Scheduling",
	"Distributed File System Internals",
	"Parquet and Columnar Formats",
	"Feature Engineering Techniques",
	"Deep Learning with PyTorch",
	"TensorFlow Model Serving",
	"A/B Testing Done Right",
	"Experiment Design for Product Teams",
	"Product Analytics Metrics",
	"Technical Writing for Engineers",
	"Code Review Etiquette",
	"Public Speaking for Developers",
	"Negotiation Skills for Tech Leads",
	"Managing Remote Teams",
	"Kanban Flow Metrics",
	"Scrum Master Readiness",
	"Cryptography Concepts",
	"Network Security Monitoring",
	"Penetration Testing Foundations",
	"Identity and Access Management",
	"Zero Trust Architectures",
	"Serverless Functions Workshop",
	"Edge Computing Overview",
	"IoT Device Messaging",
	"Blockchain Ledgers Explained",
	"Quantum Computing Teaser",
	"Functional Programming in JavaScript",
	"Object-Oriented Design Revisited",
	"Refactoring Legacy Code",
	"Unit Testing with pytest",
	"Performance Profiling in Python",
	"Concurrency on the JVM",
	"Memory Management in Go",
	"HTTP/2 and HTTP/3 Internals",
	"DNS Troubleshooting Clinic",
	"Packaging Python Libraries",
	"Punched Cards and Early Computing",
}

// testExam is the internal exam whose attempts lack sequences.counts and
// whose questions lack the user_* fields, a quirk of the real data set.
const testExam = "Sandbox Exam for Internal QA - do not publish"

// testExamWeight puts the test exam at about 0.15% of the attempts.
const testExamWeight = 3

// Courses returns the invented course titles, most common first; the last
// one is the rarest. Over a few thousand attempts (not counting duplicates)
// the realised counts follow this order at both ends: Courses()[0] is
// strictly the most common and the last strictly the least common. The
// internal test exam, whose attempts lack counts, is not listed.
func Courses() []string {
	out := make([]string, len(titles))
	copy(out, titles[:])
	return out
}

// weight returns the popularity weight of titles[i]: a steep head, a long
// flat tail, and a single rarest course.
func weight(i int) int64 {
	switch {
	case i == 0:
		return 260
	case i == 1:
		return 180
	case i == len(titles)-1:
		return 1
	}
	return max(4, int64(300/math.Pow(float64(i), 0.9)))
}

// Question and option shapes, as weights over counts.
var (
	// questionsPerAttempt: index is the number of questions; mostly 4 or 5,
	// from 1 up to maxQuestions.
	questionsPerAttempt = cumulative([]int{0, 17, 6, 74, 500, 287, 37, 54, 18, 2, 4, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1})
	// optionsPerQuestion: index is the number of options.
	optionsPerQuestion = cumulative([]int{0, 0, 17, 252, 685, 17, 29})
)

const maxQuestions = 20

func cumulative(w []int) []int {
	out := make([]int, len(w))
	sum := 0
	for i, v := range w {
		sum += v
		out[i] = sum
	}
	return out
}

// course is one exam with its fixed bank of questions.
type course struct {
	name   string
	baseID [36]byte
	seqID  [36]byte
	test   bool
	bank   [maxQuestions]question
}

type question struct {
	id       [36]byte
	opts     []option
	ncorrect int
}

type option struct {
	id      [36]byte
	correct bool
	// markedWrong: a wrong option that carries "correct":false, a rare quirk.
	markedWrong bool
}

// newCourses builds the exams and their question banks from r.
func newCourses(r *rng) []course {
	cs := make([]course, len(titles)+1)
	for i := range cs {
		c := &cs[i]
		if i < len(titles) {
			c.name = titles[i]
		} else {
			c.name, c.test = testExam, true
		}
		putUUID(&c.baseID, r)
		putUUID(&c.seqID, r)
		for q := range c.bank {
			qq := &c.bank[q]
			putUUID(&qq.id, r)
			n := r.weighted(optionsPerQuestion)
			qq.opts = make([]option, n)
			qq.ncorrect = 1
			switch x := r.float(); {
			case x < 0.10:
				qq.ncorrect = 3
			case x < 0.40:
				qq.ncorrect = 2
			}
			qq.ncorrect = min(qq.ncorrect, n-1)
			// The correct options sit at random positions.
			for k := 0; k < qq.ncorrect; {
				o := &qq.opts[r.intn(n)]
				if !o.correct {
					o.correct = true
					k++
				}
			}
			for o := range qq.opts {
				putUUID(&qq.opts[o].id, r)
				qq.opts[o].markedWrong = !qq.opts[o].correct && r.chance(0.002)
			}
		}
	}
	return cs
}

const hexDigits = "0123456789abcdef"

// putUUID writes a random version-4 UUID in its canonical text form.
func putUUID(dst *[36]byte, r *rng) {
	hi, lo := r.next(), r.next()
	hi = hi&^(0xf<<12) | 4<<12   // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	j := 0
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hexDigits[v>>4], hexDigits[v&0xf]
		j += 2
	}
}
